/**
 * The run's side of the sampler thread (sampler-worker.ts): a worker thread with its own
 * onnxruntime sessions that computes previews (sample grids, generated text) while training goes on.
 *
 * At most one grid is in flight. A request made while one is in flight waits; a newer request
 * replaces a waiting one, which ends as skipped ("superseded"): the thread never falls more than
 * one grid behind, and at most two copies of the weights are held. (The run checkpoints far less
 * often than a grid takes, so in practice none is skipped: the demo's tiny UNet draws a grid in
 * ~0.2–0.4 s, its checkpoints come every 25+ steps of ~55 ms.)
 *
 * While a grid is in flight the worker keeps the process alive; when idle it does not. close()
 * ends grids not done as skipped ("closed") at once and stops the thread: it abandons the grid
 * being drawn after its current DDIM step (~10 ms for the tiny UNet) and exits. Never
 * worker.terminate() while it may be inside onnxruntime: that aborts the whole process
 * ("terminate called after throwing an instance of 'Napi::Error'", seen here).
 */
import type { Worker } from "node:worker_threads";
import { deserializeError } from "../shared/thread-errors.js";
import { NbresumeError } from "../errors.js";
import type { Snapshot } from "../shared/snapshot.js";
import type { GeneratorState } from "../engine/random/generator.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import type { PreviewResult } from "./previews/preview-kind.js";
import type { CloseRequest, SampleRequest, SamplerInit, SamplerReply } from "./sampler-protocol.js";
import { startWorkerBeside } from "./start-worker.js";

export type DrawOutcome = { readonly results: readonly PreviewResult[] } | { readonly skipped: "superseded" | "closed" };

/** How a sampler thread is started; tests pass one that fails. */
export type SamplerStarter = (init: SamplerInit) => Worker;

export const startSamplerWorker: SamplerStarter = (init) => startWorkerBeside(import.meta.url, "sampler-worker", { workerData: init });

/** How long close() waits for the thread to leave onnxruntime and exit before terminating it anyway. */
const EXIT_TIMEOUT_MS = 30_000;

/** Sampler threads started and not yet exited, in this process (their 'exit' event removes them). */
const live = new Set<Worker>();

/** How many sampler threads are running in this process (0 once every run has ended). */
export function liveSamplerThreads(): number {
  return live.size;
}

interface Job {
  readonly request: SampleRequest;
  resolve(outcome: DrawOutcome): void;
  reject(error: unknown): void;
}

export class SamplerThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private inFlight: Job | undefined;
  private waiting: Job | undefined;
  private closed = false;
  private exitedFlag = false;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private stoppedWith: string | undefined;
  private readonly readyAt: Promise<number>;
  private markReady: (at: number) => void = () => undefined;

  /**
   * Starts the worker now. `onStopped` is called once if it cannot start or dies (not after
   * close()); every grid not done then rejects with RUN_SAMPLER_STOPPED.
   */
  constructor(
    init: Omit<SamplerInit, "stop">,
    private readonly onStopped: (detail: string) => void,
    start: SamplerStarter = startSamplerWorker,
  ) {
    this.readyAt = new Promise((resolve) => (this.markReady = resolve));
    let worker: Worker;
    try {
      worker = start({ ...init, stop: this.stopFlag });
    } catch (error) {
      this.stop(error instanceof Error ? error.message : String(error));
      return;
    }
    this.worker = worker;
    live.add(worker);
    worker.once("exit", () => {
      live.delete(worker);
      this.exitedFlag = true;
    });
    worker.unref();
    worker.on("message", (reply: SamplerReply) => this.receive(reply));
    worker.on("error", (error) => this.stop(error.message));
    worker.on("exit", (code) => this.stop(msg.samplerExited(code)));
  }

  /** Whether the worker thread has exited (after close(), or on its own when it failed). */
  get exited(): boolean {
    return this.exitedFlag;
  }

  /** Why the thread is gone (it could not start, or died); undefined while usable or after close(). */
  get stopped(): string | undefined {
    return this.stoppedWith;
  }

  /** When the thread was ready, on this thread's performance.now() clock (for timings); never resolves if it did not start. */
  get ready(): Promise<number> {
    return this.readyAt;
  }

  /**
   * Computes the thread's previews for these weights. Resolves with the results or as skipped
   * (replaced while waiting, or close()); rejects with the preview's own error, or
   * RUN_SAMPLER_STOPPED if the thread is gone. The snapshot must stay unchanged until this settles.
   */
  draw(weights: Snapshot, rng: readonly GeneratorState[]): Promise<DrawOutcome> {
    if (this.closed) return Promise.resolve({ skipped: "closed" });
    if (this.stoppedWith !== undefined) return Promise.reject(this.stoppedError(this.stoppedWith));
    return new Promise<DrawOutcome>((resolve, reject) => {
      const job: Job = { request: { id: this.nextId++, weights, rng }, resolve, reject };
      if (this.inFlight === undefined) {
        this.send(job);
      } else {
        this.waiting?.resolve({ skipped: "superseded" });
        this.waiting = job;
      }
    });
  }

  /** Stops the thread (see above); grids not done resolve as skipped at once. Resolves once it has exited. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const jobs = [this.inFlight, this.waiting];
    this.inFlight = this.waiting = undefined;
    for (const job of jobs) job?.resolve({ skipped: "closed" });
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined || this.exitedFlag) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    Atomics.store(this.stopFlag, 0, 1);
    worker.ref(); // until it has exited: a process ending meanwhile would terminate it mid-call
    worker.postMessage({ kind: "close" } satisfies CloseRequest);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), EXIT_TIMEOUT_MS)));
    try {
      if ((await Promise.race([exited, late])) === "late") await worker.terminate();
    } finally {
      clearTimeout(timer);
    }
  }

  private send(job: Job): void {
    this.inFlight = job;
    this.worker!.ref();
    this.worker!.postMessage(job.request);
  }

  private receive(reply: SamplerReply): void {
    if (reply.kind === "ready") {
      this.markReady(reply.at - performance.timeOrigin);
      return;
    }
    const job = this.inFlight;
    if (job === undefined || job.request.id !== reply.id) return; // closed meanwhile
    this.inFlight = undefined;
    if (reply.kind === "results") job.resolve({ results: reply.results });
    else job.reject(deserializeError(reply.error));
    const next = this.waiting;
    this.waiting = undefined;
    if (next !== undefined) this.send(next);
    else this.worker?.unref();
  }

  private stoppedError(detail: string): NbresumeError {
    return new NbresumeError(RunErrorCode.SAMPLER_STOPPED, msg.samplerStopped(detail));
  }

  /** The worker could not start or died: fail what waits, say so once. Not after close(). */
  private stop(detail: string): void {
    if (this.closed || this.stoppedWith !== undefined) return;
    this.stoppedWith = detail;
    this.worker = undefined;
    const jobs = [this.inFlight, this.waiting];
    this.inFlight = this.waiting = undefined;
    for (const job of jobs) job?.reject(this.stoppedError(detail));
    this.onStopped(detail);
  }
}
