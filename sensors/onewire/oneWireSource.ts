import { Backoff } from "../../common/backoff.js";
import type { Logger } from "../../common/logger.js";
import type { Source, SourceSink, SourceStatus } from "../types.js";
import { noBusReason, readSensor, scanBus, triggerBulkConversion, type BusScan } from "./bus.js";
import { familyOf, W1_THERM_FAMILIES, type W1Family } from "./families.js";
import { defaultChannel, type OneWireOptions } from "./schema.js";
import { parseTemperatureFile, parseW1Slave } from "./w1Reading.js";
import { systemClock } from "../../common/clock.js";

interface Sensor {
  family: W1Family;
  channel: string;
  offset: number;
}

/**
 * DS18B20-style sensors through the kernel's w1_therm driver. A conversion makes the kernel sleep
 * inside the read (≈750 ms), so reads are async (each holds one libuv thread-pool thread, never the
 * event loop) and one at a time: the kernel serialises a bus anyway, and parallel reads would tie
 * up the whole thread pool, which file access, DNS and password hashing share.
 */
export class OneWireSource implements Source {
  readonly id: string;
  private readonly known = new Map<string, Sensor>();
  private readonly failing = new Map<string, string>();
  private readonly bulkRefused = new Map<string, string>();
  private readonly backoff = new Backoff(1000, 30_000);
  private readonly staleAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  private cycleDone: Promise<void> = Promise.resolve();
  private stopped = true;
  private missing = new Set<string>();
  private lastStatus = "";

  constructor(
    private readonly options: OneWireOptions,
    private readonly sink: SourceSink,
    private readonly log: Logger,
  ) {
    this.id = options.id;
    this.staleAfterMs = options.staleAfter ?? 3 * options.interval;
    for (const id of Object.keys(options.sensors ?? {})) this.declare(id);
  }

  start(): void {
    this.stopped = false;
    this.report({ state: "starting", detail: `reading ${this.options.basePath}` });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.cycleDone;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.cycleDone = this.cycle()
        .catch((err: Error) => {
          this.log.error({ source: this.id, err: err.message }, "1-Wire read round failed");
          this.report({ state: "down", detail: `internal error: ${err.message}` });
          return this.options.interval;
        })
        .then((next) => {
          if (!this.stopped) this.schedule(next);
        });
    }, delayMs);
  }

  /** Reads every sensor once; resolves to the delay before the next cycle. */
  private async cycle(): Promise<number> {
    const started = systemClock.mono();
    const base = this.options.basePath;
    let scan: BusScan;
    try {
      scan = await scanBus(base);
    } catch (err) {
      this.report({ state: "down", detail: noBusReason(base, err as NodeJS.ErrnoException) });
      return this.backoff.next();
    }
    this.backoff.reset();
    const listed = this.options.sensors ? Object.keys(this.options.sensors) : undefined;
    const wanted = listed ?? [...new Set([...this.known.keys(), ...scan.sensors])].sort();
    const present = new Set(wanted.filter((id) => scan.sensors.includes(id)));
    const bulk = present.size > 1 ? await this.bulkConvert(scan.bulkMasters) : false;
    for (const id of present) {
      if (this.stopped) return 0;
      if (!(await this.readOne(id))) present.delete(id);
    }
    this.noteMissing(wanted.filter((id) => !present.has(id)));
    const unlisted = listed ? scan.sensors.filter((id) => !listed.includes(id)).length : 0;
    this.report(this.summary(present.size, bulk, unlisted));
    return Math.max(0, this.options.interval - (systemClock.mono() - started));
  }

  private async bulkConvert(masters: string[]): Promise<boolean> {
    if (!this.options.bulkRead) return false;
    let any = false;
    for (const master of masters) {
      if (this.bulkRefused.has(master)) continue;
      try {
        await triggerBulkConversion(this.options.basePath, master);
        any = true;
      } catch (err) {
        // The file is root's (0644), and systemd's ProtectKernelTunables makes /sys read-only.
        const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        this.bulkRefused.set(master, reason);
        this.log.warn({ source: this.id, master, reason }, "therm_bulk_read is not writable: converting sensor by sensor");
      }
    }
    return any;
  }

  /** False when the sensor is gone. */
  private async readOne(id: string): Promise<boolean> {
    const sensor = this.known.get(id) ?? this.declare(id);
    let read;
    try {
      read = await readSensor(this.options.basePath, id);
    } catch (err) {
      this.fail(id, `read failed: ${(err as Error).message}`, "");
      return true;
    }
    if ("missing" in read) return false;
    const result = read.file === "w1_slave" ? parseW1Slave(read.text, sensor.family) : parseTemperatureFile(read.text, sensor.family);
    if (!result.ok) {
      this.fail(id, result.reason, read.text);
      return true;
    }
    this.failing.delete(id);
    this.sink.reading({ channel: sensor.channel, value: Math.round((result.celsius + sensor.offset) * 10_000) / 10_000, ts: Date.now() });
    return true;
  }

  private fail(id: string, reason: string, sample: string): void {
    this.failing.set(id, reason);
    this.sink.reject(`${id}: ${reason}`, sample.trim());
  }

  private declare(id: string): Sensor {
    const family = familyOf(id)!;
    const spec = this.options.sensors?.[id];
    const sensor = { family, channel: spec?.channel ?? defaultChannel(id), offset: spec?.offset ?? 0 };
    this.known.set(id, sensor);
    this.sink.channel({
      id: sensor.channel,
      name: spec?.name ?? `${W1_THERM_FAMILIES[family].model} ${id}`,
      unit: "°C",
      source: this.id,
      staleAfterMs: this.staleAfterMs,
      decimals: spec?.decimals,
      group: spec?.group,
    });
    return sensor;
  }

  private noteMissing(missing: string[]): void {
    const now = new Set(missing);
    const gone = [...now].filter((id) => !this.missing.has(id));
    for (const id of gone) this.log.warn({ source: this.id, sensor: id }, "1-Wire sensor missing");
    // Unplugged is known now: its channel is stale at once, not after staleAfter.
    this.sink.offline(gone.map((id) => this.known.get(id)?.channel).filter((c) => c !== undefined));
    for (const id of this.missing) if (!now.has(id)) this.log.info({ source: this.id, sensor: id }, "1-Wire sensor back");
    for (const id of now) this.failing.delete(id);
    this.missing = now;
  }

  private summary(present: number, bulk: boolean, unlisted: number): SourceStatus {
    const base = this.options.basePath;
    const missing = [...this.missing];
    if (present === 0) {
      const detail = missing.length ? `none of the sensors found under ${base}; missing: ${missing.join(", ")}` : `no 1-Wire temperature sensors under ${base}: check the wiring and the 4.7 kΩ pull-up`;
      return { state: "down", detail };
    }
    const refused = [...this.bulkRefused.values()];
    const conversion = bulk ? ", one bulk conversion" : present > 1 && refused.length ? `, converted one by one (therm_bulk_read refused: ${refused.join(", ")})` : "";
    const parts = [`${present} sensor(s)${conversion}`];
    if (missing.length) parts.push(`missing: ${missing.join(", ")}`);
    if (this.failing.size) parts.push(`failing: ${[...this.failing].map(([id, why]) => `${id} (${why})`).join(", ")}`);
    if (unlisted) parts.push(`${unlisted} more on the bus, not configured`);
    return { state: this.failing.size < present ? "up" : "down", detail: parts.join("; ") };
  }

  private report(status: SourceStatus): void {
    const key = `${status.state} ${status.detail}`;
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.sink.status(status);
  }
}
