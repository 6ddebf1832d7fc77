/**
 * Running a model's stored graphs with the weights being previewed: the graph (ONNX without
 * weights, see engine/model-graph.ts) is baked with the weights and compiled once per preview,
 * then run as often as the preview needs (20 DDIM steps, 200 generated tokens), then released.
 * The run's thread and the sampler thread both use this: the same bytes, the same results.
 *
 * Why bake rather than feed the weights as inputs: onnxruntime prepacks constant weights; a
 * diffusion grid of the tiny UNet took 1.0 s that way against 2.0 s with the weights fed.
 */
import { bakeParameters } from "../engine/graph/onnx-model.js";
import type { Feeds } from "../engine/nn/model.js";
import { compileGraph } from "../engine/runtime/ort-runtime.js";
import type { CompiledGraph } from "../engine/runtime/runtime.js";
import type { Tensor, TensorGroup } from "../tensor.js";

/** A stored graph: ONNX bytes whose listed parameters are inputs, to be baked in. */
export interface GraphSource {
  readonly bytes: Uint8Array;
  readonly parameters: readonly string[];
}

/** "predict@16": a graph at a batch size. */
export function graphKey(graph: string, batchSize: number): string {
  return `${graph}@${batchSize}`;
}

/** Graphs compiled with one set of weights, for the length of one preview. */
export class BakedGraphs {
  private readonly compiled = new Map<string, Promise<CompiledGraph>>();

  constructor(
    private readonly sources: ReadonlyMap<string, GraphSource>,
    private readonly weights: TensorGroup,
    private readonly threads: number | undefined,
  ) {}

  async run(graph: string, batchSize: number, feeds: Feeds): Promise<Record<string, Tensor>> {
    const key = graphKey(graph, batchSize);
    let compiled = this.compiled.get(key);
    if (compiled === undefined) {
      const source = this.sources.get(key);
      if (source === undefined)
        throw new RangeError(
          `The preview asked for graph '${graph}' at batch size ${batchSize}, which the run did not prepare (prepared: ${[...this.sources.keys()].join(", ") || "none"}).`,
        );
      const baked = bakeParameters(source.bytes, source.parameters, this.weights, { what: `graph '${graph}'` });
      compiled = compileGraph(baked, this.threads === undefined ? {} : { threads: this.threads });
      this.compiled.set(key, compiled);
    }
    return (await compiled).run(feeds);
  }

  async release(): Promise<void> {
    const all = [...this.compiled.values()];
    this.compiled.clear();
    for (const c of await Promise.allSettled(all)) if (c.status === "fulfilled") await c.value.release();
  }
}
