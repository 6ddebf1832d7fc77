/**
 * One grid's diffusion samples from a sampling graph with the weights baked in: compile, DDIM,
 * release. The run's thread and the sampler thread (sampler-worker.ts) both call this, so a grid
 * is the same bits wherever it is drawn. It imports neither the graph builder nor sharp: the
 * sampler thread starts with onnxruntime and this alone.
 *
 * Why initializers rather than the session's bound graph (which feeds the weights as inputs):
 * onnxruntime prepacks constant convolution weights; 16 samples of 20 DDIM steps of the tiny UNet
 * took 1.0 s that way against 2.0 s through the bound graph (same machine, same load), far more
 * than the 0.03–0.1 s the inference graph takes to build and compile.
 */
import { sampleDdim } from "../engine/diffusion/ddim-sampler.js";
import type { DiffusionSpec } from "../engine/diffusion/ddpm-model.js";
import type { Generator } from "../engine/random/generator.js";
import { compileGraph } from "../engine/runtime/ort-runtime.js";
import type { SampleSettings } from "./sampler-protocol.js";

/** Thrown by drawDiffusionSamples() when `stopped()` said so between two DDIM steps. */
export class SamplingStopped extends Error {
  override readonly name = "SamplingStopped";
}

/**
 * The samples, [samples, C, H, W] float32 in [−1, 1]. `stopped` is asked before compiling and
 * after every DDIM step: true abandons the grid (SamplingStopped).
 */
export async function drawDiffusionSamples(
  graph: Uint8Array, spec: DiffusionSpec, settings: SampleSettings, rng: Generator, threads: number | undefined, stopped: () => boolean = () => false,
): Promise<Float32Array> {
  if (stopped()) throw new SamplingStopped("stopped before it began");
  const compiled = await compileGraph(graph, threads === undefined ? {} : { threads });
  try {
    const { samples: batchSize, samplerSteps: steps, eta } = settings;
    const onStep = (done: number, total: number): void => {
      if (stopped() && done < total) throw new SamplingStopped(`stopped after ${done} of ${total} DDIM steps`);
    };
    const x = await sampleDdim({ batchSize, run: (feeds) => compiled.run(feeds) }, spec, rng, { steps, eta, onStep });
    return x.data;
  } finally {
    await compiled.release();
  }
}
