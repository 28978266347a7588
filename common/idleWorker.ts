import { parentPort, Worker, type ResourceLimits } from "node:worker_threads";

export interface IdleWorkerOptions {
  /** How long the thread stays after its last answer. */
  idleMs: number;
  /** A job not answered by then is taken for a stuck thread: it is ended and what waits on it fails. */
  timeoutMs: number;
  /** Jobs waiting at most; one more is refused with WorkerBusyError. */
  maxWaiting: number;
  workerData?: unknown;
  resourceLimits?: ResourceLimits;
}

/** More jobs are waiting for the thread than it may have. */
export class WorkerBusyError extends Error {}
/** The thread did not answer in time; it was ended. */
export class WorkerTimeoutError extends Error {}

type Reply<R> = { id: number; result: R } | { id: number; error: string };

/**
 * A worker thread that answers jobs one after another, for work that would hold up the event loop
 * (see `serveJobs` for its side). It starts with the first job and ends when idle, so a gateway
 * that does not need it keeps no thread.
 */
export class IdleWorker<Job, Result> {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: Result) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly script: URL,
    private readonly what: string,
    private readonly options: IdleWorkerOptions,
  ) {}

  /** Whether the thread is loaded. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  async run(job: Job): Promise<Result> {
    if (this.waiting.size >= this.options.maxWaiting) throw new WorkerBusyError(`${this.waiting.size} jobs already wait for the ${this.what}`);
    clearTimeout(this.idleTimer);
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new WorkerTimeoutError(`the ${this.what} did not answer in ${this.options.timeoutMs / 1000} s`)), this.options.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      try {
        worker.postMessage({ id, job });
      } catch (err) {
        // A job that cannot be cloned fails alone; the thread goes on.
        this.waiting.delete(id);
        clearTimeout(timer);
        reject(err as Error);
      }
    });
  }

  /** Starts the thread ahead of a job that is likely to come (it ends when idle all the same). */
  warm(): void {
    if (this.waiting.size > 0) return;
    this.worker ??= this.start();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(), this.options.idleMs).unref();
  }

  /** Ends the thread, and jobs still waiting fail; a later job starts another. */
  close(): void {
    this.fail(new Error(`the ${this.what} was stopped`));
  }

  private start(): Worker {
    const worker = new Worker(this.script, { workerData: this.options.workerData, resourceLimits: this.options.resourceLimits });
    // A thread ended by fail() still reports its exit later, when another may have started.
    const mine = () => this.worker === worker;
    worker.on("message", (reply: Reply<Result>) => mine() && this.settle(reply));
    worker.on("error", (err) => mine() && this.fail(err));
    worker.on("messageerror", (err) => mine() && this.fail(err));
    worker.on("exit", (code) => mine() && this.fail(new Error(`the ${this.what} exited (code ${code})`)));
    worker.unref();
    return worker;
  }

  private settle(reply: Reply<Result>): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    clearTimeout(waiter.timer);
    if ("result" in reply) waiter.resolve(reply.result);
    else waiter.reject(new Error(`the ${this.what} failed: ${reply.error}`));
    if (this.waiting.size === 0) this.idleTimer = setTimeout(() => this.close(), this.options.idleMs).unref();
  }

  private fail(err: Error): void {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiting.clear();
  }
}

/** The worker thread's side of an IdleWorker: answers each job with `handle`'s result or its error. */
export function serveJobs<Job, Result>(handle: (job: Job) => Result, transfer: (result: Result) => ArrayBuffer[] = () => []): void {
  parentPort!.on("message", ({ id, job }: { id: number; job: Job }) => {
    let result: Result;
    try {
      result = handle(job);
    } catch (err) {
      parentPort!.postMessage({ id, error: (err as Error).message });
      return;
    }
    parentPort!.postMessage({ id, result }, transfer(result));
  });
}
