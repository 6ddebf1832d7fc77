/**
 * A diffusion model's grid: DDIM samples from the same generator fork every time, drawn on a
 * sampler thread (sampler-thread.ts) while training goes on, and rendered here (sharp, ~2–4 ms).
 *
 * What a request hands the thread: a copy of the weights (a SharedArrayBuffer snapshot, ~0.1 ms
 * for the tiny UNet) once the thread has loaded its graph builder, which it does after its first
 * grid; before that, the sampling graph's ONNX bytes built here. So the thread starts with
 * onnxruntime alone (~40 ms from dist/ instead of ~100 ms with the graph builder), which is what
 * the resume preview waits for.
 *
 * The thread's sessions use one onnxruntime thread: they run beside the training session (or its
 * compilation), which has the machine's other core(s); measured on the 2-core machine, one thread
 * drew the tiny UNet's grid as fast as two or faster, and the results are the same bits (tested).
 *
 * If the thread cannot start or dies, grids are drawn here instead (said once), from the same
 * copy; `sampler: "main"` draws here from the start.
 */
import { snapshotTensors, SnapshotBuffer } from "../checkpoint/snapshot.js";
import type { Batch } from "../engine/data/batch.js";
import { SAMPLE_GRAPH, type DiffusionSpec } from "../engine/diffusion/ddpm-model.js";
import { buildInferenceModel } from "../engine/export.js";
import type { Model } from "../engine/nn/model.js";
import { generatorFromState } from "../engine/random/create-generator.js";
import type { GeneratorState } from "../engine/random/generator.js";
import { renderSampleGrid } from "../render/sample-grid.js";
import { isNbresumeError } from "../errors.js";
import type { TensorGroup } from "../tensor.js";
import { drawDiffusionSamples } from "./diffusion-samples.js";
import { RunErrorCode } from "./messages.js";
import type { GridOutcome, GridRequestOptions, Previewer, PreviewSettings } from "./preview.js";
import type { GraphSource, SampleSettings, SamplerInit } from "./sampler-protocol.js";
import { SamplerThread } from "./sampler-thread.js";

/** onnxruntime intra-op threads of the sampler thread's sessions (see above). */
export const SAMPLER_THREAD_ORT_THREADS = 1;

export function isDiffusion(model: Model<Batch>): model is Model<Batch> & DiffusionSpec {
  const m = model as Partial<DiffusionSpec> & Model<Batch>;
  return m.graphs?.[SAMPLE_GRAPH] !== undefined && typeof m.schedule === "object" && Array.isArray(m.imageShape);
}

export class DiffusionPreviewer implements Previewer {
  readonly kind = "samples";
  private readonly sampleSettings: SampleSettings;
  private thread: SamplerThread | undefined;
  private closed = false;
  private fellBack = false;
  /** Snapshot buffers not in use (a grid in flight and one waiting hold one each). */
  private readonly buffers: SnapshotBuffer[] = [];

  constructor(
    private readonly model: Model<Batch> & DiffusionSpec,
    private readonly settings: PreviewSettings,
  ) {
    const { samples, samplerSteps, eta } = settings;
    this.sampleSettings = { samples, samplerSteps: Math.min(samplerSteps, model.schedule.steps), eta };
  }

  get offThread(): boolean {
    return this.settings.sampler === "thread" && !this.fellBack && !this.closed;
  }

  start(gridSoon: boolean): void {
    if (!this.offThread || this.thread !== undefined) return;
    const init: Omit<SamplerInit, "stop"> = {
      spec: { schedule: this.model.schedule, imageShape: this.model.imageShape },
      settings: this.sampleSettings,
      modelConfig: this.model.config,
      threads: SAMPLER_THREAD_ORT_THREADS,
      prepare: !gridSoon,
    };
    this.thread = new SamplerThread(init, (detail) => this.fallBack(detail), this.settings.startSampler);
  }

  /** When the sampler thread answered "ready" (performance.now()), if it runs. */
  get samplerReady(): Promise<number> | undefined {
    return this.thread?.ready;
  }

  async request(parameters: TensorGroup, caption: string, options: GridRequestOptions = {}): Promise<GridOutcome> {
    if (this.closed) return { skipped: "closed" };
    const rng = this.settings.generator().state();
    if (options.onThisThread === true || !this.offThread) return this.render(await this.drawHere(this.graph(parameters), rng, this.settings.threads), caption, false);
    this.start(true);
    const thread = this.thread!;
    // Copied now: the caller's next step replaces the parameters.
    let buffer: SnapshotBuffer | undefined;
    let source: GraphSource;
    if (thread.buildsGraphs) {
      buffer = this.buffers.pop() ?? new SnapshotBuffer();
      source = { weights: buffer.take([["model", parameters]]) };
    } else {
      source = { bytes: this.graph(parameters) };
    }
    try {
      let offThread = true;
      const out = await thread.draw(source, rng).catch(async (error: unknown) => {
        if (!isNbresumeError(error, RunErrorCode.SAMPLER_STOPPED)) throw error;
        // The thread is gone (said once, in fallBack): this grid here, from the same copy.
        offThread = false;
        const bytes = "bytes" in source ? source.bytes : this.graph(snapshotTensors(source.weights)["model"] ?? {});
        return { images: await this.drawHere(bytes, rng, this.settings.threads) };
      });
      return "skipped" in out ? out : this.render(out.images, caption, offThread);
    } finally {
      if (buffer !== undefined && !this.closed) this.buffers.push(buffer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.buffers.length = 0;
    const thread = this.thread;
    this.thread = undefined;
    await thread?.close();
  }

  private fallBack(detail: string): void {
    if (this.fellBack || this.closed) return;
    this.fellBack = true;
    this.settings.onFallback(detail);
  }

  /** The sampling graph with these weights baked in. */
  private graph(parameters: TensorGroup): Uint8Array {
    return buildInferenceModel(this.model, parameters, { graph: SAMPLE_GRAPH, batchSize: this.sampleSettings.samples }).bytes;
  }

  private drawHere(graph: Uint8Array, rng: GeneratorState, threads: number | undefined): Promise<Float32Array> {
    return drawDiffusionSamples(graph, this.model, this.sampleSettings, generatorFromState(rng), threads);
  }

  private async render(images: Float32Array, caption: string, offThread: boolean): Promise<GridOutcome> {
    const shape = [this.sampleSettings.samples, ...this.model.imageShape];
    // The model works in [−1, 1] (x_0 = 2·pixels − 1).
    return { grid: await renderSampleGrid({ images: { dtype: "float32", shape, data: images }, range: [-1, 1], caption }), offThread };
  }
}
