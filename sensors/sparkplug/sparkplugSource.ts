import type { Logger } from "../../common/logger.js";
import { redactUrl } from "../../common/mqttBroker.js";
import { decodePayload, encodePayload, formatTopic, NAMESPACE, parseTopic, REBIRTH_METRIC, type Payload } from "../../common/sparkplug.js";
import { Subscriber } from "../mqtt/subscriber.js";
import type { Source, SourceSink } from "../types.js";
import { ChannelMap, metricPath } from "./channels.js";
import { HostState, type HostAction } from "./hostState.js";
import type { SparkplugSourceOptions } from "./schema.js";
import { systemClock } from "../../common/clock.js";

/**
 * Metrics of Sparkplug B edge nodes (Ignition, PLC gateways, Tahu) as channels: a host
 * application that follows births, data and deaths on the plant's broker, and asks a node to
 * rebirth when it has lost track of it.
 */
export class SparkplugSource implements Source {
  readonly id: string;
  private readonly subscriber: Subscriber;
  private readonly host = new HostState();
  private readonly map: ChannelMap;
  /** Channel id by metric path, for every metric that became a channel. */
  private readonly channels = new Map<string, string>();
  private readonly online = new Set<string>();
  private subscribed = false;
  /** Empty on MQTT 5; says what a 3.1.1-only broker cannot do. */
  private protocolNote = "";

  constructor(
    private readonly options: SparkplugSourceOptions,
    private readonly sink: SourceSink,
    private readonly log: Logger,
  ) {
    this.id = options.id;
    this.map = new ChannelMap(options);
    const filters = (options.groups ?? ["+"]).map((g) => `${NAMESPACE}/${g}/#`);
    this.subscriber = new Subscriber(
      options.id,
      options,
      filters,
      1,
      options.maxPayloadBytes,
      {
        message: (topic, payload) => this.message(topic, payload),
        subscribed: (note) => {
          this.subscribed = true;
          this.protocolNote = note;
          this.updateStatus();
        },
        refused: (reason) => this.sink.reject(`connection cut: ${reason}`, ""),
        status: (status) => {
          this.subscribed = status.state === "up";
          this.sink.status(status);
        },
      },
      log,
    );
  }

  start(): void {
    this.subscriber.start();
  }

  stop(): Promise<void> {
    return this.subscriber.stop();
  }

  private message(topic: string, bytes: Buffer): void {
    const t = parseTopic(topic);
    if (!t) return;
    if (bytes.length > this.options.maxPayloadBytes) return this.sink.reject(`${topic}: payload of ${bytes.length} bytes exceeds maxPayloadBytes`, "");
    let payload: Payload;
    try {
      payload = decodePayload(bytes);
    } catch (err) {
      return this.sink.reject(`${topic}: not a Sparkplug B payload (${(err as Error).message})`, bytes.toString("hex", 0, 32));
    }
    const nodeKey = `${t.group}/${t.node}`;
    if (t.type === "NBIRTH") this.online.add(nodeKey);
    if (t.type === "NDEATH") this.online.delete(nodeKey);
    for (const action of this.host.handle(t, payload, systemClock.mono())) this.act(action);
    if (t.type === "NBIRTH" || t.type === "NDEATH") this.updateStatus();
  }

  private act(a: HostAction): void {
    switch (a.type) {
      case "define": {
        const path = metricPath(a.ref);
        const info = this.map.info(a.ref, a.unit, this.id);
        if (!info) return;
        if (!this.channels.has(path) && this.channels.size >= this.options.maxChannels) return this.sink.reject(`${path}: more than maxChannels (${this.options.maxChannels}) channels`, "");
        this.channels.set(path, info.id);
        this.sink.channel(info);
        return;
      }
      case "value": {
        const channel = this.channels.get(metricPath(a.ref));
        if (channel) this.sink.reading({ channel, value: a.value, ts: a.ts ?? Date.now() });
        return;
      }
      case "offline":
        this.sink.offline(a.refs.map((r) => this.channels.get(metricPath(r))).filter((c) => c !== undefined));
        return;
      case "rebirth":
        if (!this.options.requestRebirth) return;
        if (this.subscriber.publish(formatTopic({ group: a.group, type: "NCMD", node: a.node }), encodePayload({ timestamp: Date.now(), metrics: [{ name: REBIRTH_METRIC, type: "Boolean", value: true }] }))) {
          this.log.info({ source: this.id, node: `${a.group}/${a.node}`, reason: a.reason }, "asked a Sparkplug edge node to rebirth");
        }
        return;
      case "reject":
        this.sink.reject(a.reason, "");
    }
  }

  private updateStatus(): void {
    if (!this.subscribed) return;
    this.sink.status({ state: "up", detail: `${redactUrl(this.options.url)}, ${this.online.size} edge node(s) online${this.protocolNote}` });
  }
}
