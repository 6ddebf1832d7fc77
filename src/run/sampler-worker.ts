/**
 * The sampler thread (started by sampler-thread.ts): draws sample grids with its own onnxruntime
 * sessions, off the training thread. One request at a time (the run's side never sends a second
 * before the first is answered).
 *
 * It starts with onnxruntime and the DDIM sampler only, and answers "ready"; graphs then come as
 * ONNX bytes. Then (at once, or after its first grid: `prepare`) it loads the graph builder and the
 * model registry and rebuilds the model from its recorded config, so later requests need only
 * carry a copy of the weights.
 */
import { parentPort, workerData } from "node:worker_threads";
import { snapshotTensors } from "../checkpoint/snapshot.js";
import { serializeError } from "../checkpoint/thread-errors.js";
import { SAMPLE_GRAPH } from "../engine/diffusion/ddpm-model.js";
import { generatorFromState } from "../engine/random/create-generator.js";
import type { TensorGroup } from "../tensor.js";
import { drawDiffusionSamples } from "./diffusion-samples.js";
import type { CloseRequest, GraphSource, SampleRequest, SamplerInit, SamplerReply } from "./sampler-protocol.js";

const port = parentPort;
if (port === null) throw new Error("sampler-worker.ts runs as a worker thread (see sampler-thread.ts)");
const init = workerData as SamplerInit;
const send = (reply: SamplerReply, transfer?: ArrayBuffer[]): void => port.postMessage(reply, transfer);
const stopped = (): boolean => Atomics.load(init.stop, 0) === 1;
let drawing = false;

/** Leaves from JavaScript, between native calls: never while onnxruntime runs (see SamplerInit.stop). */
function exitIfStopped(): void {
  if (stopped() && !drawing) process.exit(0);
}

type Builder = (weights: TensorGroup) => Uint8Array;
let builder: Builder | undefined;
let builderTried = false;

async function loadBuilder(): Promise<void> {
  if (builderTried) return;
  builderTried = true;
  try {
    const { buildInferenceModel } = await import("../engine/export.js");
    const { modelFromConfig } = await import("../engine/models/model-registry.js");
    await import("../engine/models/register-all-models.js");
    const model = modelFromConfig(init.modelConfig);
    // A model that records the same config builds the same graph (as `nbresume export` relies on).
    if (JSON.stringify(model.config) !== JSON.stringify(init.modelConfig)) throw new Error(`the model rebuilt from its config records another config`);
    builder = (weights) => buildInferenceModel(model, weights, { graph: SAMPLE_GRAPH, batchSize: init.settings.samples }).bytes;
    send({ kind: "builder", ok: true });
    exitIfStopped();
  } catch (error) {
    send({ kind: "builder", ok: false, reason: error instanceof Error ? error.message : String(error) });
  }
}

function graphBytes(source: GraphSource): Uint8Array {
  if ("bytes" in source) return source.bytes;
  // The run's side sends weights only after "builder ok".
  if (builder === undefined) throw new Error("sampler thread: weights sent before the graph builder was loaded");
  return builder(snapshotTensors(source.weights)["model"] ?? {});
}

port.on("message", (request: SampleRequest | CloseRequest) => {
  if ("kind" in request) {
    exitIfStopped(); // a grid being drawn stops at its next DDIM step, then the thread exits
    return;
  }
  void (async () => {
    drawing = true;
    try {
      const images = await drawDiffusionSamples(graphBytes(request.graph), init.spec, init.settings, generatorFromState(request.rng), init.threads, stopped);
      send({ kind: "samples", id: request.id, images }, [images.buffer as ArrayBuffer]);
    } catch (error) {
      send({ kind: "failed", id: request.id, error: serializeError(error) });
    } finally {
      drawing = false;
    }
    exitIfStopped();
    await loadBuilder();
    exitIfStopped();
  })();
});
send({ kind: "ready", at: performance.timeOrigin + performance.now() });
if (init.prepare) void loadBuilder();
