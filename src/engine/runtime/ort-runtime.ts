/** The CompiledGraph interface on onnxruntime-node: the only file that imports it. */
import * as ort from "onnxruntime-node";
import { NbresumeError } from "../../errors.js";
import { EngineErrorCode } from "../messages.js";
import { runtimeMessages } from "./messages.js";
import { isDType, type DType, type Tensor, type TypedArrayOf } from "../../tensor.js";
import { GraphCache } from "./graph-cache.js";
import type { CompiledGraph, SessionOptions } from "./runtime.js";

const ORT_TYPE: Readonly<Record<DType, ort.Tensor.Type>> = {
  float64: "float64",
  float32: "float32",
  float16: "float16",
  bfloat16: "uint16",
  int64: "int64",
  int32: "int32",
  int16: "int16",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
};

export async function compileGraph(model: Uint8Array, options: SessionOptions = {}): Promise<CompiledGraph> {
  const threads = options.threads ?? 2;
  const optimization = options.optimization ?? "all";
  const base: ort.InferenceSession.SessionOptions = { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1 };
  const cache = options.cacheDir === undefined || optimization === "disabled" ? undefined : new GraphCache(options.cacheDir);
  if (cache === undefined || !cache.prepare()) return new OrtGraph(await createSession(model, { ...base, graphOptimizationLevel: optimization }));

  const key = cache.key(model, { runtimeVersion: ort.env.versions.common, optimization, threads });
  const optimized = cache.read(key);
  if (optimized !== undefined) {
    try {
      return new OrtGraph(await createSession(optimized, { ...base, graphOptimizationLevel: "disabled" }));
    } catch {
      cache.drop(key); // verified bytes onnxruntime still refuses: optimise the source again
    }
  }
  const pending = cache.pendingPath(key);
  let session: ort.InferenceSession;
  try {
    // Level "all" warns that the saved graph suits this machine only: the key says which machine.
    session = await createSession(model, { ...base, graphOptimizationLevel: optimization, optimizedModelFilePath: pending, logSeverityLevel: 3 });
  } catch {
    // Perhaps only the cache's write failed (a full disk): compile without it, and report any real failure.
    cache.discard(pending);
    return new OrtGraph(await createSession(model, { ...base, graphOptimizationLevel: optimization }));
  }
  cache.commit(key, pending);
  return new OrtGraph(session);
}

async function createSession(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new NbresumeError(EngineErrorCode.COMPILE_FAILED, runtimeMessages.compileFailed((e as Error).message), { cause: e });
  }
}

class OrtGraph implements CompiledGraph {
  constructor(private readonly session: ort.InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Readonly<Record<string, Tensor>>, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      // Wrapping a typed array costs nothing: onnxruntime-node reads it in place.
      ortFeeds[name] = new ort.Tensor(ORT_TYPE[t.dtype], t.data as ort.Tensor.DataType, t.shape);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      result = fetches === undefined ? await this.session.run(ortFeeds) : await this.session.run(ortFeeds, fetches as string[]);
    } catch (e) {
      throw new NbresumeError(EngineErrorCode.RUN_FAILED, runtimeMessages.runFailed((e as Error).message), { cause: e });
    }
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(result)) out[name] = fromOrt(name, t);
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function fromOrt(name: string, t: ort.Tensor): Tensor {
  const dtype = t.type === "uint16" ? "bfloat16" : t.type;
  if (!isDType(dtype)) throw new NbresumeError(EngineErrorCode.OUTPUT_DTYPE, runtimeMessages.outputDtype(name, t.type));
  return { dtype, shape: [...t.dims], data: t.data as TypedArrayOf[typeof dtype] };
}
