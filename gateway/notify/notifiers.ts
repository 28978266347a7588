import mqtt, { type MqttClient } from "mqtt";
import { brokerClientOptions, reconnectWithBackoff, redactUrl } from "../../common/mqttBroker.js";
import type { Logger } from "../../common/logger.js";
import type { AlertEngine, AlertView, FloodEvent, Transition } from "../alerts/engine.js";
import type { RuleBook, RuleChangeEvent } from "../alerts/ruleBook.js";
import type { IncidentOf } from "../incidents/incidentStore.js";
import type { FinalisedIncident, IncidentRecorder } from "../incidents/recorder.js";
import type { Outbox } from "./outbox.js";
import type { NotifyConfig } from "./schema.js";
import { OutboxSender } from "./sender.js";

export interface AlertNotification {
  event: "firing" | "resolved" | "acknowledged" | "flood" | "rule-changed" | "incident";
  at: number;
  gateway: string;
  alert?: Pick<AlertView, "id" | "rule" | "channel" | "name" | "severity" | "state" | "value" | "unit" | "description" | "labels" | "firingSince" | "resolvedAt" | "ack">;
  /** Root CID of the firing's incident record, once finalised (on "incident" and later transitions). */
  incident?: string;
  /** On "incident": what the record covers. */
  record?: Omit<FinalisedIncident["incident"], "cid" | "id">;
  count?: number;
  windowMs?: number;
  change?: Omit<RuleChangeEvent, "at">;
}

const NOTIFIED = new Set(["firing", "resolved", "acknowledged"]);

function alertFields(a: AlertView): NonNullable<AlertNotification["alert"]> {
  const { id, rule, channel, name, severity, state, value, unit, description, labels, firingSince, resolvedAt, ack } = a;
  return { id, rule, channel, name, severity, state, value, unit, description, labels, firingSince, resolvedAt, ack };
}

function payloadFor(t: Transition, gateway: string, incidentOf: IncidentOf): AlertNotification | undefined {
  if (!NOTIFIED.has(t.to) || t.quiet) return undefined;
  const incident = t.to === "firing" ? null : incidentOf(t.alert.id, t.alert.firingSince);
  return { event: t.to as AlertNotification["event"], at: t.at, gateway, alert: alertFields(t.alert), ...(incident ? { incident } : {}) };
}

/** Keeps an MQTT connection for alert notifications; reconnects with capped backoff. */
class MqttPublisher {
  private client: MqttClient | undefined;
  private cancelReconnect: (() => void) | undefined;

  constructor(
    private readonly config: NonNullable<NotifyConfig["mqtt"]>,
    private readonly log: Logger,
    private readonly onConnect: () => void,
  ) {}

  start(): void {
    const client = mqtt.connect(this.config.url, { ...brokerClientOptions(this.config, "wachter-notify"), reconnectPeriod: 0, queueQoSZero: false });
    this.client = client;
    client.on("connect", () => {
      this.log.info({ broker: redactUrl(this.config.url) }, "alert MQTT connected");
      this.onConnect();
    });
    client.on("error", (err) => this.log.warn({ err: err.message }, "alert MQTT error"));
    this.cancelReconnect = reconnectWithBackoff(client);
  }

  async publish(payload: string): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new Error("broker not connected");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no PUBACK within 10 s")), 10_000)));
    try {
      await Promise.race([client.publishAsync(this.config.topic, payload, { qos: 1 }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.cancelReconnect?.();
    const client = this.client;
    this.client = undefined;
    await client?.endAsync();
  }
}

/**
 * Turns alert transitions into outbox items for each configured sink (MQTT, webhooks) and
 * runs the senders that deliver them.
 */
export class Notifiers {
  private readonly senders: OutboxSender[] = [];
  private mqtt: MqttPublisher | undefined;
  private readonly detach: Array<() => void> = [];

  constructor(
    private readonly config: NotifyConfig,
    private readonly outbox: Outbox,
    private readonly gateway: string,
    log: Logger,
  ) {
    if (config.mqtt) {
      const publisher = new MqttPublisher(config.mqtt, log, () => sender.kick());
      const sender = new OutboxSender(outbox, "mqtt", (p) => publisher.publish(p), log);
      this.mqtt = publisher;
      this.senders.push(sender);
    }
    for (const hook of config.webhooks) {
      this.senders.push(new OutboxSender(outbox, `webhook:${hook.name}`, (p, signal) => this.post(hook, p, signal), log, hook.maxAttempts));
    }
  }

  get sinks(): OutboxSender[] {
    return this.senders;
  }

  /** `incidentOf` gives later transitions the CID of their firing's finalised incident record. */
  attach(engine: AlertEngine, incidentOf: IncidentOf = () => null): void {
    const unsubscribe = engine.subscribe({
      transition: (t) => {
        const payload = payloadFor(t, this.gateway, incidentOf);
        if (payload) this.enqueue(payload);
      },
      flood: (e: FloodEvent) => this.enqueue({ event: "flood", at: e.at, gateway: this.gateway, count: e.count, windowMs: e.windowMs }),
    });
    this.detach.push(unsubscribe);
  }

  /**
   * A finalised incident record is its own notification ("incident"), minutes after "firing":
   * the firing one is not held back for the post-roll, and an alert may resolve before or after.
   */
  attachIncidents(recorder: IncidentRecorder): void {
    this.detach.push(
      recorder.subscribe(({ alert, quiet, incident: { cid, id: _id, ...record } }) => {
        if (!quiet) this.enqueue({ event: "incident", at: Date.now(), gateway: this.gateway, alert: alertFields(alert), incident: cid, record });
      }),
    );
  }

  /** With `ruleChanges`, every created, changed or deleted rule is announced too. */
  attachRules(book: RuleBook): void {
    if (!this.config.ruleChanges) return;
    this.detach.push(book.subscribe(({ at, ...change }) => this.enqueue({ event: "rule-changed", at, gateway: this.gateway, change })));
  }

  start(): void {
    this.mqtt?.start();
    for (const s of this.senders) s.start();
  }

  async stop(): Promise<void> {
    for (const d of this.detach) d();
    await Promise.all(this.senders.map((s) => s.stop()));
    await this.mqtt?.stop();
  }

  private enqueue(n: AlertNotification): void {
    const payload = JSON.stringify(n);
    for (const s of this.senders) {
      this.outbox.add(s.sink, payload);
      s.kick();
    }
  }

  private async post(hook: NotifyConfig["webhooks"][number], payload: string, stopping: AbortSignal): Promise<void> {
    const res = await fetch(hook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "wachter", ...hook.headers },
      body: payload,
      signal: AbortSignal.any([stopping, AbortSignal.timeout(hook.timeout)]),
      // A redirect could point anywhere; treat it as a failure instead of following it.
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.status < 200 || res.status >= 300) throw new Error(`${hook.name} answered HTTP ${res.status}`);
  }
}
