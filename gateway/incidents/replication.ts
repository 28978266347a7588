import { CID } from "multiformats/cid";
import type { Logger } from "../../common/logger.js";
import type { Outbox } from "../notify/outbox.js";
import { OutboxSender } from "../notify/sender.js";
import type { ContentStore } from "./contentStore.js";
import type { IncidentStore } from "./incidentStore.js";
import type { FinalisedIncident, IncidentRecorder } from "./recorder.js";
import type { IncidentsConfig } from "./schema.js";

const SINK = "ipfs-kubo";
/** A plant node down for days loses nothing: with retries at most 5 minutes apart, this is about 3.5 days. */
const MAX_ATTEMPTS = 1000;

type KuboConfig = NonNullable<IncidentsConfig["replicate"]>["kubo"];

/**
 * Copies every finalised record (each version) to the plant's IPFS node through the Kubo RPC API:
 * its CAR to `/api/v0/dag/import`, which imports the blocks and pins the root. Through the
 * persistent outbox, in order, retried with capped backoff, so nothing is lost while the node is
 * down or the gateway restarts. Each record's state (`pending`, `replicated`, `failed: reason`)
 * is kept in the incidents table.
 */
export class Replicator {
  private readonly sender: OutboxSender;
  private detach: (() => void) | undefined;

  constructor(
    private readonly config: KuboConfig,
    private readonly outbox: Outbox,
    private readonly store: IncidentStore,
    private readonly content: ContentStore,
    private readonly log: Logger,
  ) {
    this.sender = new OutboxSender(outbox, SINK, (payload, signal) => this.push(JSON.parse(payload) as { id: number; cid: string }, signal), log, MAX_ATTEMPTS);
  }

  attach(recorder: IncidentRecorder): void {
    this.detach = recorder.subscribe((e: FinalisedIncident) => {
      this.store.setReplication(e.incident.id, "pending");
      this.outbox.add(SINK, JSON.stringify({ id: e.incident.id, cid: e.incident.cid }));
      this.sender.kick();
    });
  }

  start(): void {
    this.sender.start();
  }

  async stop(): Promise<void> {
    this.detach?.();
    await this.sender.stop();
  }

  private async push({ id, cid }: { id: number; cid: string }, stopping: AbortSignal): Promise<void> {
    // Deleted by retention while it waited: nothing left to copy.
    if (!this.store.byId(id)) return;
    try {
      await this.importCar(cid, stopping);
    } catch (err) {
      if (!stopping.aborted) this.store.setReplication(id, `failed: ${(err as Error).message}`);
      throw err;
    }
    this.store.setReplication(id, "replicated");
    this.log.info({ incident: id, cid, node: this.config.url }, "incident record replicated to the plant's IPFS node");
  }

  private async importCar(cid: string, stopping: AbortSignal): Promise<void> {
    const chunks: Uint8Array[] = [];
    for await (const c of this.content.car(CID.parse(cid), () => undefined)) chunks.push(c);
    const form = new FormData();
    form.append("file", new Blob(chunks as Uint8Array<ArrayBuffer>[], { type: "application/vnd.ipld.car" }), `${cid}.car`);
    const res = await fetch(new URL("api/v0/dag/import?pin-roots=true", this.config.url), {
      method: "POST",
      headers: { "User-Agent": "wachter", ...(this.config.authorization ? { Authorization: this.config.authorization } : {}) },
      body: form,
      signal: AbortSignal.any([stopping, AbortSignal.timeout(this.config.timeout)]),
      redirect: "manual",
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`the IPFS node answered HTTP ${res.status}: ${text.slice(0, 200).trim()}`);
    // One JSON object a line: {"Root":{"Cid":{"/":"bafy…"},"PinErrorMsg":""}}, and others (Stats).
    const roots = text
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { Root?: { Cid?: { "/"?: string }; PinErrorMsg?: string } }).Root)
      .filter((r) => r !== undefined);
    const root = roots.find((r) => r.Cid?.["/"] === cid);
    if (!root) throw new Error(`the IPFS node did not import the record's root ${cid}`);
    if (root.PinErrorMsg) throw new Error(`the IPFS node did not pin it: ${root.PinErrorMsg}`);
  }
}
