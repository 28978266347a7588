import { readFileSync } from "node:fs";
import type { IClientOptions, MqttClient } from "mqtt";
import { Backoff } from "./backoff.js";
import { z } from "zod";

/** How to reach an MQTT broker; shared by the MQTT source and the gateway's MQTT outputs. */
export const brokerFields = {
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, "expected a broker URL such as mqtt://broker.local:1883 or mqtts://…"),
  username: z.string().optional(),
  password: z.string().optional(),
  clientId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  tls: z
    .object({
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .strict()
    .optional(),
};

const brokerSchema = z.object(brokerFields);
export type Broker = z.output<typeof brokerSchema>;

export function brokerClientOptions(broker: Broker, defaultClientId: string): IClientOptions {
  const options: IClientOptions = {
    username: broker.username,
    password: broker.password,
    clientId: broker.clientId ?? `${defaultClientId}-${Math.random().toString(16).slice(2, 10)}`,
    keepalive: 30,
    connectTimeout: 10_000,
  };
  if (broker.tls) {
    options.ca = broker.tls.ca ? readFileSync(broker.tls.ca) : undefined;
    options.cert = broker.tls.cert ? readFileSync(broker.tls.cert) : undefined;
    options.key = broker.tls.key ? readFileSync(broker.tls.key) : undefined;
    options.rejectUnauthorized = broker.tls.rejectUnauthorized;
  }
  return options;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

/**
 * mqtt.js only knows a fixed reconnect period; with `reconnectPeriod: 0` this reconnects after a
 * capped exponential backoff instead, reset on every successful connect. Returns a cancel function.
 */
export function reconnectWithBackoff(client: MqttClient, onRetry?: (delayMs: number) => void, backoff = new Backoff(500, 30_000)): () => void {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  client.on("connect", () => backoff.reset());
  client.on("close", () => {
    if (cancelled || timer) return;
    const delay = backoff.next();
    onRetry?.(delay);
    timer = setTimeout(() => {
      timer = undefined;
      if (!cancelled) client.reconnect();
    }, delay);
  });
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
