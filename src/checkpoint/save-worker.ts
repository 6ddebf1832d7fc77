/**
 * The background writer thread (started by worker-writer.ts). It acts as the store's committer
 * for the directory the main thread holds the lock of: each job is one checkpoint whose tensors
 * are views over the shared snapshot buffer, committed with the store's own pipeline.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { WriterConfig, WriterReply, WriterRequest } from "./background-writer.js";
import { CheckpointStoreImpl } from "./checkpoint-store.js";
import { syncNodeFs } from "./sync-fs.js";
import { serializeError } from "../shared/thread-errors.js";

/** Nice value of the writer thread: training threads come first when cores are short. */
const WRITER_NICE = 10;

const port = parentPort;
if (port === null) throw new Error("save-worker.ts runs as a worker thread (see worker-writer.ts)");

// Linux gives each thread its own nice value: lower this one's priority (best effort; the
// save's syscalls run on this thread, see sync-fs.ts). Elsewhere, or if refused, it stays as is.
try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, WRITER_NICE);
} catch {
  // not Linux, or /proc unavailable
}

const committer = CheckpointStoreImpl.committerFor(workerData as WriterConfig, syncNodeFs);
committer.catch(() => undefined); // reported with the first job

port.on("message", (request: WriterRequest) => {
  committer
    .then((c) => c.commitPrepared(request.job))
    .then(
      (saved) => port.postMessage({ id: request.id, ok: true, saved } satisfies WriterReply),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: serializeError(error) } satisfies WriterReply),
    );
});
