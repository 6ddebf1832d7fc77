/**
 * The main thread's side of the background writer thread (save-worker.ts): started on the first
 * background save, kept for the next ones, stopped by close(). While a job is in flight the
 * worker keeps the process alive, so a script that ends right after saveInBackground() still
 * commits its checkpoint; when idle it does not hold the process open.
 */
import type { Worker } from "node:worker_threads";
import { NbresumeError } from "../errors.js";
import type { BackgroundJob, BackgroundWriter, WriterConfig, WriterReply, WriterRequest } from "./background-writer.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "./messages.js";
import type { SavedCheckpoint } from "./store.js";
import { deserializeError } from "../shared/thread-errors.js";
import { startWorker } from "./worker-start.js";

interface Waiting {
  resolve: (saved: SavedCheckpoint) => void;
  reject: (error: unknown) => void;
}

export class WorkerWriter implements BackgroundWriter {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  constructor(private readonly config: WriterConfig) {}

  commit(job: BackgroundJob): Promise<SavedCheckpoint> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<SavedCheckpoint>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      // The snapshot buffer is shared, not copied; stateBytes is small.
      worker.postMessage({ id, job } satisfies WriterRequest);
    });
  }

  private start(): Worker {
    const worker = startWorker(import.meta.url, "save-worker", this.config);
    worker.unref();
    worker.on("message", (reply: WriterReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) w.resolve(reply.saved);
      else w.reject(deserializeError(reply.error));
    });
    worker.on("error", (error) => this.stopped(worker, error.message, error));
    worker.on("exit", (code) => this.stopped(worker, `exit code ${code}`, undefined));
    this.worker = worker;
    return worker;
  }

  /** The worker died (an uncaught error while loading, out of memory, terminated): fail what waits. */
  private stopped(worker: Worker, detail: string, cause: unknown): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const error = new NbresumeError(CheckpointErrorCode.WRITE_FAILED, messages.writerStopped(this.config.dir, detail), {
      where: this.config.dir,
      ...(cause === undefined ? {} : { cause }),
    });
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
