import { CID } from "multiformats/cid";
import type { Logger } from "../../common/logger.js";
import type { Outbox } from "../notify/outbox.js";
import { OutboxSender } from "../notify/sender.js";
import { carStream, type ContentStore } from "./contentStore.js";
import type { IncidentStore } from "./incidentStore.js";
import type { FinalisedIncident, IncidentRecorder } from "./recorder.js";
import type { IncidentsConfig } from "./schema.js";

const SINK = "ipfs-kubo";
/** A plant node down for days loses nothing: with retries at most 5 minutes apart, this is about 3.5 days. */
const MAX_ATTEMPTS = 1000;

type KuboConfig = NonNullable<IncidentsConfig["replicate"]>["kubo"];

/** A failure that trying again will not mend: the record is damaged here, or the node refuses it for what it is. */
class Final extends Error {}

/** HTTP answers worth trying again: the node busy, overloaded or asking for other credentials (which an administrator may fix). */
const RETRY_STATUS = new Set([401, 403, 408, 429]);

/**
 * Copies every finalised record (each version) to the plant's IPFS node through the Kubo RPC API:
 * its CAR to `/api/v0/dag/import`, which imports the blocks and pins the root. Through the
 * persistent outbox, in order, retried with capped backoff, so nothing is lost while the node is
 * down or the gateway restarts. Each record's state is kept in the incidents table: `pending`,
 * `replicated`, `retrying: reason`, or `failed: reason` once trying again cannot help (the record
 * is damaged here, the node refuses it, or about 3.5 days of attempts are spent); such a record
 * leaves the queue, so it holds up none after it.
 */
export class Replicator {
  private readonly sender: OutboxSender;

  constructor(
    private readonly config: KuboConfig,
    private readonly outbox: Outbox,
    private readonly store: IncidentStore,
    private readonly content: ContentStore,
    private readonly log: Logger,
  ) {
    this.sender = new OutboxSender(outbox, SINK, (payload, signal, attempts) => this.push(JSON.parse(payload) as { id: number; cid: string }, signal, attempts), log, MAX_ATTEMPTS);
  }

  /** For as long as the recorder runs: versions it makes while it stops are queued for the next start. */
  attach(recorder: IncidentRecorder): void {
    recorder.subscribe((e: FinalisedIncident) => {
      this.store.setReplication(e.incident.id, "pending");
      this.outbox.add(SINK, JSON.stringify({ id: e.incident.id, cid: e.incident.cid }));
      this.sender.kick();
    });
  }

  start(): void {
    this.sender.start();
  }

  async stop(): Promise<void> {
    await this.sender.stop();
  }

  private async push({ id, cid }: { id: number; cid: string }, stopping: AbortSignal, attempts: number): Promise<void> {
    // Deleted by retention while it waited: nothing left to copy.
    if (!this.store.byId(id)) return;
    try {
      await this.importCar(cid, stopping);
    } catch (err) {
      if (stopping.aborted) throw err;
      const reason = (err as Error).message;
      if (err instanceof Final) return this.store.setReplication(id, `failed: ${reason}`);
      if (attempts + 1 >= MAX_ATTEMPTS) return this.store.setReplication(id, `failed: ${reason} (gave up after ${MAX_ATTEMPTS} attempts)`);
      this.store.setReplication(id, `retrying: ${reason}`);
      throw err;
    }
    this.store.setReplication(id, "replicated");
    this.log.info({ incident: id, cid, node: this.config.url }, "incident record replicated to the plant's IPFS node");
  }

  private async importCar(cid: string, stopping: AbortSignal): Promise<void> {
    const root = CID.parse(cid);
    const blocks: Array<{ cid: CID; bytes: Uint8Array }> = [];
    try {
      for await (const b of this.content.walk(root)) blocks.push(b);
    } catch (err) {
      throw new Final(`the record is damaged here: ${(err as Error).message}`);
    }
    const chunks: Uint8Array[] = [];
    const fromMemory = async function* () {
      yield* blocks;
    };
    for await (const c of carStream(root, fromMemory(), () => undefined)) chunks.push(c);
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
    if (res.status !== 200) {
      const error = `the IPFS node answered HTTP ${res.status}: ${text.slice(0, 200).trim()}`;
      throw res.status < 500 && !RETRY_STATUS.has(res.status) ? new Final(error) : new Error(error);
    }
    // One JSON object a line: {"Root":{"Cid":{"/":"bafy…"},"PinErrorMsg":""}}, and others (Stats).
    const roots = text
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { Root?: { Cid?: { "/"?: string }; PinErrorMsg?: string } }).Root)
      .filter((r) => r !== undefined);
    const imported = roots.find((r) => r.Cid?.["/"] === cid);
    if (!imported) throw new Error(`the IPFS node did not import the record's root ${cid}`);
    if (imported.PinErrorMsg) throw new Error(`the IPFS node did not pin it: ${imported.PinErrorMsg}`);
  }
}
