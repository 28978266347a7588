import { totalmem } from "node:os";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";

const MB = 1024 * 1024;

/** What the guard reads: V8's old generation (where a heap OOM happens) and the process's resident memory, in bytes. */
export interface MemoryReading {
  heapUsed: number;
  heapLimit: number;
  rss: number;
}

export interface MemoryLimits {
  /** Refuse new viewers above this share of the heap limit, in percent. */
  maxHeapPercent: number;
  /** Refuse new viewers while the process's resident memory exceeds this, in MB. */
  maxRssMb?: number;
}

export interface MemoryStatus {
  heapUsedMb: number;
  heapLimitMb: number;
  heapPercent: number;
  maxHeapPercent: number;
  rssMb: number;
  maxRssMb: number | null;
  /** Why new viewers are refused now; null while they are accepted. */
  short: string | null;
}

/**
 * The old generation's limit: `--max-old-space-size` where node was given it (on its command
 * line or in NODE_OPTIONS, the later one winning, as node reads them), or, winning over it,
 * `--max-old-space-size-percentage` (Node 24) of the memory available (`available`: the cgroup's
 * limit where there is one below the machine's memory, as node reckons it), else V8's whole heap
 * limit. heap_size_limit alone would not do: it adds the young generation's reserve (192 MB on
 * Node 24, 48 MB on Node 20), and with --max-old-space-size=128 V8 dies at about 126 MB used,
 * 39 % of Node 24's heap_size_limit of 320 MB.
 */
export function oldGenerationLimit(execArgv: readonly string[], nodeOptions: string | undefined, heapSizeLimit: number, available = availableMemory()): number {
  let mb: number | undefined;
  let percentage: number | undefined;
  const flags = [...execArgv, nodeOptions ?? ""].join(" ");
  for (const m of flags.matchAll(/(?:^|\s)--max[-_]old[-_]space[-_]size[=\s]+(\d+)(?=\s|$)/g)) mb = Number(m[1]);
  for (const m of flags.matchAll(/(?:^|\s)--max[-_]old[-_]space[-_]size[-_]percentage[=\s]+(\d+(?:\.\d+)?)(?=\s|$)/g)) percentage = Number(m[1]);
  if (percentage && percentage <= 100) mb = Math.floor((Math.floor(available / MB) * percentage) / 100);
  return mb ? Math.min(mb * MB, heapSizeLimit) : heapSizeLimit;
}

/** The memory node sizes its heap by: a cgroup's limit where it is set and below the machine's memory. */
function availableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < totalmem() ? constrained : totalmem();
}

const YOUNG_SPACES = new Set(["new_space", "new_large_object_space"]);

const heapLimit = oldGenerationLimit(process.execArgv, process.env.NODE_OPTIONS, getHeapStatistics().heap_size_limit);

/**
 * Why V8's heap is sized to thrash, or undefined. The young generation's reserve (heap_size_limit
 * less the old generation's limit) is three semi-spaces; Node 24 lets a semi-space grow to 64 MB.
 * Once it has, beside a 128 MB old generation, V8 no longer finds room to promote a full young
 * generation and collects the old generation back to back: 8093 full collections in a 5-minute
 * soak and 158 % of a core, against 30 in 10 minutes and 6.8 % with the semi-space capped
 * (docs/findings.md). --max-semi-space-size avoids it; so does an old generation twice the
 * reserve or more.
 */
export function heapSizingProblem(oldLimit: number, heapSizeLimit: number): string | undefined {
  const young = heapSizeLimit - oldLimit;
  if (young <= oldLimit / 2) return undefined;
  return (
    `V8's young generation may grow to ${Math.round(young / MB)} MB beside an old generation limited to ${Math.round(oldLimit / MB)} MB: ` +
    "under load V8 may then collect the old generation back to back, using most of a core. " +
    "Add --max-semi-space-size=8 to NODE_OPTIONS, as deploy/wachter.service does"
  );
}

/** heapSizingProblem() of this process's heap. */
export const heapSizing = (): string | undefined => heapSizingProblem(heapLimit, getHeapStatistics().heap_size_limit);

export function readMemory(): MemoryReading {
  const heapUsed = getHeapSpaceStatistics().reduce((sum, s) => (YOUNG_SPACES.has(s.space_name) ? sum : sum + s.space_used_size), 0);
  return { heapUsed, heapLimit, rss: process.memoryUsage.rss() };
}

/**
 * Refuses new viewers while memory is short, so that a small Pi turns viewers away with a 503
 * instead of dying of a heap OOM or being killed by the kernel; viewers already connected keep
 * their sessions. Viewers cost little heap (most of a session is buffers outside it), so on its
 * own the heap share rarely trips; it guards the heap against whatever else fills it.
 */
export class MemoryGuard {
  refusals = 0;

  constructor(
    private readonly limits: MemoryLimits,
    private readonly read: () => MemoryReading = readMemory,
  ) {}

  reading(): MemoryReading {
    return this.read();
  }

  status(): MemoryStatus {
    const m = this.read();
    const heapPercent = (m.heapUsed / m.heapLimit) * 100;
    const [heapUsedMb, heapLimitMb, rssMb] = [m.heapUsed / MB, m.heapLimit / MB, m.rss / MB];
    const round = (n: number) => Math.round(n * 10) / 10;
    const { maxHeapPercent, maxRssMb } = this.limits;
    const short =
      heapPercent > maxHeapPercent
        ? `memory is short: the JavaScript heap is ${heapUsedMb.toFixed(0)} of ${heapLimitMb.toFixed(0)} MB (${heapPercent.toFixed(1)} %, limit ${maxHeapPercent} %)`
        : maxRssMb !== undefined && rssMb > maxRssMb
          ? `memory is short: the gateway uses ${rssMb.toFixed(0)} MB (webrtc.maxRssMb is ${maxRssMb} MB)`
          : null;
    return { heapUsedMb: round(heapUsedMb), heapLimitMb: round(heapLimitMb), heapPercent: round(heapPercent), maxHeapPercent, rssMb: round(rssMb), maxRssMb: maxRssMb ?? null, short };
  }

  /** Why a new viewer must be refused now, counting the refusal; undefined when it may join. */
  refusal(): string | undefined {
    const { short } = this.status();
    if (short === null) return undefined;
    this.refusals++;
    return short;
  }
}
