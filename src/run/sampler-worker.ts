/**
 * The sampler thread (started by sampler-thread.ts): computes previews with its own onnxruntime
 * sessions, off the training thread. One request at a time (the run's side never sends a second
 * before the first is answered). It loads onnxruntime and the built-in preview kinds, answers
 * "ready", then for each request bakes the weights it is sent into the stored graphs (no graph
 * builder, no model code: the graphs came as bytes) and computes; the run's thread renders.
 */
import { parentPort, workerData } from "node:worker_threads";
import { snapshotTensors } from "../shared/snapshot.js";
import { serializeError } from "../shared/thread-errors.js";
import { generatorFromState } from "../engine/random/create-generator.js";
import type { Tensor } from "../tensor.js";
import { BakedGraphs, type GraphSource } from "./preview-graphs.js";
import { previewKind, type PreviewResult } from "./previews/preview-kind.js";
import "./previews/register-all-previews.js";
import type { CloseRequest, SampleRequest, SamplerInit, SamplerReply } from "./sampler-protocol.js";

const port = parentPort;
if (port === null) throw new Error("sampler-worker.ts runs as a worker thread (see sampler-thread.ts)");
const init = workerData as SamplerInit;
const send = (reply: SamplerReply, transfer?: ArrayBuffer[]): void => port.postMessage(reply, transfer);
const stopped = (): boolean => Atomics.load(init.stop, 0) === 1;
const sources = new Map<string, GraphSource>(Object.entries(init.graphs));
let computing = false;

/** Leaves from JavaScript, between native calls: never while onnxruntime runs (see SamplerInit.stop). */
function exitIfStopped(): void {
  if (stopped() && !computing) process.exit(0);
}

function transferables(results: readonly PreviewResult[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const r of results) for (const t of Object.values(r.tensors) as Tensor[]) if (t.data.buffer instanceof ArrayBuffer) out.add(t.data.buffer);
  return [...out];
}

port.on("message", (request: SampleRequest | CloseRequest) => {
  if ("kind" in request) {
    exitIfStopped(); // a preview being computed stops at its next step, then the thread exits
    return;
  }
  void (async () => {
    computing = true;
    const graphs = new BakedGraphs(sources, snapshotTensors(request.weights)["model"] ?? {}, init.threads);
    try {
      const results: PreviewResult[] = [];
      for (const [i, prepared] of init.previews.entries()) {
        const rng = generatorFromState(request.rng[i]!);
        results.push(await previewKind(prepared.kind).compute(prepared, { run: (g, n, feeds) => graphs.run(g, n, feeds), rng, stopped }));
      }
      send({ kind: "results", id: request.id, results }, transferables(results));
    } catch (error) {
      send({ kind: "failed", id: request.id, error: serializeError(error) });
    } finally {
      await graphs.release();
      computing = false;
    }
    exitIfStopped();
  })();
});
send({ kind: "ready", at: performance.timeOrigin + performance.now() });
