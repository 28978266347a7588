import { BDSEQ_METRIC, nextSeq, type Metric, type Payload, type SparkplugTopic } from "../../common/sparkplug.js";

/** A metric of an edge node or one of its devices. */
export interface MetricRef {
  group: string;
  node: string;
  device?: string;
  metric: string;
}

export type HostAction =
  | { type: "define"; ref: MetricRef; unit?: string }
  | { type: "value"; ref: MetricRef; value: number; ts?: number }
  | { type: "offline"; refs: MetricRef[] }
  | { type: "rebirth"; group: string; node: string; reason: string }
  | { type: "reject"; reason: string };

/** A metric from a birth; only numeric ones (and booleans, as 0 and 1) become channels. */
interface Known {
  ref: MetricRef;
  numeric: boolean;
}

const NUMERIC = new Set(["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float", "Double", "Boolean"]);

interface EdgeNode {
  bdSeq: number | undefined;
  seq: number;
  born: boolean;
  /** Sparkplug 3.0: aliases are unique across an edge node and all its devices. */
  aliases: Map<number, Known>;
  /** What each device (undefined: the node itself) declared in its birth, by metric name. */
  devices: Map<string | undefined, Map<string, Known>>;
  lastRebirthRequest: number;
}

/**
 * What a Sparkplug B host application keeps per edge node (Sparkplug 3.0, chapter 7): the birth's
 * bdSeq, the message sequence, the alias map. It turns messages into actions: metrics to define,
 * values, metrics gone offline on a death, and rebirth requests when it has lost track (a sequence
 * gap, an unknown alias, data before any birth). Pure: no MQTT, no clock of its own.
 */
export class HostState {
  private readonly nodes = new Map<string, EdgeNode>();

  constructor(private readonly rebirthIntervalMs = 5000) {}

  /** `now` is monotonic ms: it only spaces rebirth requests. */
  handle(topic: SparkplugTopic, payload: Payload, now: number): HostAction[] {
    const key = `${topic.group}/${topic.node}`;
    let node = this.nodes.get(key);
    if (topic.type === "NBIRTH") {
      const bdSeq = metricNumber(payload.metrics.find((m) => m.name === BDSEQ_METRIC));
      node = { ...freshNode(node), bdSeq, seq: payload.seq ?? 0, born: true };
      this.nodes.set(key, node);
      return this.birth(node, topic, payload);
    }
    if (topic.type === "NCMD" || topic.type === "DCMD") return [];
    if (!node?.born) {
      if (topic.type === "NDEATH" || topic.type === "DDEATH") return [];
      node ??= freshNode(undefined);
      this.nodes.set(key, node);
      return this.rebirth(node, topic, now, `${topic.type} before the node's birth`);
    }
    if (topic.type === "NDEATH") {
      const bdSeq = metricNumber(payload.metrics.find((m) => m.name === BDSEQ_METRIC));
      // A will from an earlier session arriving late must not kill the current one.
      if (bdSeq !== undefined && node.bdSeq !== undefined && bdSeq !== node.bdSeq) return [];
      const refs = [...node.devices.values()].flatMap(numericRefs);
      node.born = false;
      node.aliases.clear();
      node.devices.clear();
      return [{ type: "offline", refs }];
    }
    const actions: HostAction[] = [];
    const expected = nextSeq(node.seq);
    if (payload.seq !== expected) actions.push(...this.rebirth(node, topic, now, `sequence gap: expected ${expected}, got ${payload.seq ?? "none"}`));
    node.seq = payload.seq ?? node.seq;
    switch (topic.type) {
      case "DBIRTH":
        return [...actions, ...this.birth(node, topic, payload)];
      case "DDEATH": {
        const refs = numericRefs(node.devices.get(topic.device));
        node.devices.delete(topic.device);
        for (const [alias, known] of node.aliases) if (known.ref.device === topic.device) node.aliases.delete(alias);
        return [...actions, { type: "offline", refs }];
      }
      default:
        return [...actions, ...this.data(node, topic, payload, now)];
    }
  }

  private birth(node: EdgeNode, topic: SparkplugTopic, payload: Payload): HostAction[] {
    const declared = new Map<string, Known>();
    node.devices.set(topic.device, declared);
    const actions: HostAction[] = [];
    for (const m of payload.metrics) {
      if (!m.name) {
        actions.push({ type: "reject", reason: `${topic.type} metric without a name` });
        continue;
      }
      const control = topic.device === undefined && (m.name === BDSEQ_METRIC || m.name.startsWith("Node Control/"));
      const ref: MetricRef = { group: topic.group, node: topic.node, device: topic.device, metric: m.name };
      const known = { ref, numeric: !control && NUMERIC.has(m.type ?? "") };
      declared.set(m.name, known);
      if (m.alias !== undefined) node.aliases.set(m.alias, known);
      if (!known.numeric) continue;
      const unit = m.properties?.engUnit?.value;
      actions.push({ type: "define", ref, unit: typeof unit === "string" ? unit : undefined });
      const value = metricNumber(m);
      if (value !== undefined) actions.push({ type: "value", ref, value, ts: m.timestamp ?? payload.timestamp });
    }
    return actions;
  }

  private data(node: EdgeNode, topic: SparkplugTopic, payload: Payload, now: number): HostAction[] {
    const declared = node.devices.get(topic.device);
    if (!declared) return this.rebirth(node, topic, now, `${topic.type} from device "${topic.device}" that has not been born`);
    const actions: HostAction[] = [];
    for (const m of payload.metrics) {
      const known = m.name !== undefined ? declared.get(m.name) : m.alias !== undefined ? node.aliases.get(m.alias) : undefined;
      if (!known || known.ref.device !== topic.device) {
        actions.push(...this.rebirth(node, topic, now, `unknown metric ${m.name ?? `alias ${m.alias}`}`));
        continue;
      }
      const value = known.numeric ? metricNumber(m) : undefined;
      if (value !== undefined) actions.push({ type: "value", ref: known.ref, value, ts: m.timestamp ?? payload.timestamp });
    }
    return actions;
  }

  /** At most one request per node per interval: a node that cannot rebirth must not be flooded. */
  private rebirth(node: EdgeNode, topic: SparkplugTopic, now: number, reason: string): HostAction[] {
    if (now - node.lastRebirthRequest < this.rebirthIntervalMs) return [];
    node.lastRebirthRequest = now;
    return [{ type: "rebirth", group: topic.group, node: topic.node, reason }];
  }
}

/** A node as the host first hears of it (or hears its birth): no aliases, no devices; a rebirth request's time carries over. */
const freshNode = (previous: EdgeNode | undefined): EdgeNode => ({ bdSeq: undefined, seq: 0, born: false, aliases: new Map(), devices: new Map(), lastRebirthRequest: previous?.lastRebirthRequest ?? -Infinity });

const numericRefs = (declared: Map<string, Known> | undefined): MetricRef[] => [...(declared?.values() ?? [])].filter((k) => k.numeric).map((k) => k.ref);

function metricNumber(m: Metric | undefined): number | undefined {
  if (!m || m.value === null || m.value === undefined) return undefined;
  if (typeof m.value === "boolean") return m.value ? 1 : 0;
  return typeof m.value === "number" && Number.isFinite(m.value) ? m.value : undefined;
}
