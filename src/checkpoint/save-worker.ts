/**
 * The background writer thread (started by worker-writer.ts). It acts as the store's committer
 * for the directory the main thread holds the lock of: each job is one checkpoint whose tensors
 * are views over the shared snapshot buffer, committed with the store's own pipeline.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { WriterConfig, WriterReply, WriterRequest } from "./background-writer.js";
import { CheckpointStoreImpl } from "./checkpoint-store.js";
import { serializeError } from "./thread-errors.js";

const port = parentPort;
if (port === null) throw new Error("save-worker.ts runs as a worker thread (see worker-writer.ts)");
const committer = CheckpointStoreImpl.committerFor(workerData as WriterConfig);

port.on("message", (request: WriterRequest) => {
  committer.commitPrepared(request.job).then(
    (saved) => port.postMessage({ id: request.id, ok: true, saved } satisfies WriterReply),
    (error: unknown) => port.postMessage({ id: request.id, ok: false, error: serializeError(error) } satisfies WriterReply),
  );
});
