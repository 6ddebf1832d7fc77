/**
 * The Previewer of a run: the previews its model declares, prepared once (settings completed,
 * held-out rows chosen), then drawn from given parameters in three steps (previews/preview-kind.ts):
 *
 *   request(parameters) ─┬─ heavy built-in kinds (sampling loops, generation) → the sampler thread,
 *                        │  given a copy of the weights; training goes on meanwhile
 *                        ├─ light kinds (one forward pass) and custom ones → this thread
 *                        └─ render every result here (sharp, vega) → RenderedPreview[], model order
 *
 * Every graph a preview runs is one of the model's stored graphs (no weights) baked with the
 * parameters being previewed (preview-graphs.ts), on either thread: the same bits wherever.
 * If the thread cannot start or dies, its previews are computed here instead (said once);
 * `sampler: "main"` computes everything here from the start.
 */
import { SnapshotBuffer, snapshotTensors } from "../shared/snapshot.js";
import type { Dataset } from "../engine/data/dataset.js";
import type { Model } from "../engine/nn/model.js";
import type { PreviewSpec } from "../engine/nn/preview-spec.js";
import type { Generator, GeneratorState } from "../engine/random/generator.js";
import { generatorFromState } from "../engine/random/create-generator.js";
import { isNbresumeError } from "../errors.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import type { TensorGroup } from "../tensor.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import type { Previewer, PreviewOutcome, PreviewRequestOptions } from "./preview.js";
import { BakedGraphs, graphKey, type GraphSource } from "./preview-graphs.js";
import { renderCustomPreview } from "./previews/custom.js";
import { nonFiniteResult } from "./previews/preview-check.js";
import { previewKind, type PreparedPreview, type PreviewGraphNeed, type PreviewOverrides, type PreviewResult } from "./previews/preview-kind.js";
import "./previews/register-all-previews.js";
import type { SamplerInit } from "./sampler-protocol.js";
import { SamplerThread, type SamplerStarter } from "./sampler-thread.js";
import { errorMessage } from "../shared/error-message.js";

/** onnxruntime intra-op threads of the sampler thread's sessions: it runs beside training, which has the other core(s). */
export const SAMPLER_THREAD_ORT_THREADS = 1;

export interface PreviewSettings {
  readonly overrides: PreviewOverrides;
  /** onnxruntime threads on the caller's thread (default 2). */
  readonly threads: number | undefined;
  /** A fresh generator for a label ("preview", "preview:1", …): the same stream every time. */
  readonly generator: (label: string) => Generator;
  /** Held-out (else training) data: what previews show and start from. */
  readonly data: Dataset | undefined;
  /** Where heavy previews are computed: "thread" on a sampler thread (unless a request says otherwise), "main" on the caller's. */
  readonly sampler: "thread" | "main";
  /** Called once if the sampler thread cannot start or dies. */
  readonly onFallback: (detail: string) => void;
  /** Said for a preview the model declares that cannot be prepared (it is left out; training goes on). */
  readonly onUnusable: (kind: string, detail: string) => void;
  /** The model's graph at a batch size, without weights (built from the model or read from the run's stored graphs). */
  readonly graph: (need: PreviewGraphNeed) => GraphSource;
  /** How the sampler thread is started (tests inject a failing one). */
  readonly startSampler?: SamplerStarter;
}

interface Entry {
  readonly index: number;
  readonly spec: PreviewSpec;
  /** Built-in kinds; undefined for a custom preview. */
  readonly prepared: PreparedPreview | undefined;
  readonly heavy: boolean;
}

/** The previewer of `model`, or why there is none. */
export function createPreviewer(model: Model<never>, settings: PreviewSettings): Previewer | { reason: string } {
  const specs = model.previews ?? [];
  if (specs.length === 0) return { reason: msg.noPreviewForModel() };
  const entries: Entry[] = [];
  specs.forEach((spec, index) => {
    if (spec.kind === "custom") {
      entries.push({ index, spec, prepared: undefined, heavy: false });
      return;
    }
    try {
      const kind = previewKind(spec.kind);
      const prepared = kind.prepare(spec.settings, model, settings.data, settings.overrides);
      entries.push({ index, spec, prepared, heavy: kind.heavy });
    } catch (error) {
      settings.onUnusable(spec.kind, errorMessage(error));
    }
  });
  if (entries.length === 0) return { reason: msg.noUsablePreview() };
  return new RunPreviews(entries, settings);
}

class RunPreviews implements Previewer {
  private readonly sources = new Map<string, GraphSource>();
  private thread: SamplerThread | undefined;
  private closed = false;
  private fellBack = false;
  /** Snapshot buffers not in use (a request in flight and one waiting hold one each). */
  private readonly buffers: SnapshotBuffer[] = [];
  private readonly heavy: Entry[];

  constructor(
    private readonly entries: readonly Entry[],
    private readonly settings: PreviewSettings,
  ) {
    this.heavy = entries.filter((e) => e.heavy);
  }

  get offThread(): boolean {
    return this.settings.sampler === "thread" && this.heavy.length > 0 && !this.fellBack && !this.closed;
  }

  get samplerReady(): Promise<number> | undefined {
    return this.thread?.ready;
  }

  get recorded(): readonly { kind: string; settings: PreparedPreview["settings"] }[] {
    return this.entries.map((e) => ({ kind: e.spec.kind, settings: e.prepared?.settings ?? e.spec.settings }));
  }

  start(): void {
    if (!this.offThread || this.thread !== undefined) return;
    const graphs: Record<string, GraphSource> = {};
    for (const e of this.heavy) for (const need of e.prepared!.graphs) graphs[graphKey(need.graph, need.batchSize)] = this.source(need);
    const init: Omit<SamplerInit, "stop"> = { previews: this.heavy.map((e) => e.prepared!), graphs, threads: SAMPLER_THREAD_ORT_THREADS };
    this.thread = new SamplerThread(init, (why) => this.fallBack(why), this.settings.startSampler);
  }

  async request(parameters: TensorGroup, step: number, caption: string, options: PreviewRequestOptions = {}): Promise<PreviewOutcome> {
    if (this.closed) return { skipped: "closed" };
    const rngs = this.entries.map((e) => this.settings.generator(e.index === 0 ? "preview" : `preview:${e.index}`).state());
    const offThread = options.onThisThread !== true && this.offThread;
    const results = new Map<number, PreviewResult>();
    let computedOffThread = false;
    if (offThread) {
      this.start();
      const thread = this.thread!;
      // Copied now: the sampler thread reads the weights while this one trains on.
      const buffer = this.buffers.pop() ?? new SnapshotBuffer();
      const weights = buffer.take([["model", parameters]]);
      try {
        let out: Awaited<ReturnType<SamplerThread["draw"]>>;
        try {
          out = await thread.draw(
            weights,
            this.heavy.map((e) => rngs[e.index]!),
          );
          computedOffThread = true;
        } catch (error) {
          if (!isNbresumeError(error, RunErrorCode.SAMPLER_STOPPED)) throw error;
          // The thread is gone (said once, in fallBack): these previews here, from the same copy.
          out = { results: await this.computeHere(this.heavy, snapshotTensors(weights)["model"] ?? {}, rngs, step, caption) };
        }
        if ("skipped" in out) return out;
        const computed = out.results;
        this.heavy.forEach((e, i) => results.set(e.index, computed[i]!));
      } finally {
        if (!this.closed) this.buffers.push(buffer);
      }
    }
    const here = this.entries.filter((e) => !results.has(e.index) && e.prepared !== undefined);
    const computed = await this.computeHere(here, parameters, rngs, step, caption);
    here.forEach((e, i) => results.set(e.index, computed[i]!));
    if (this.closed) return { skipped: "closed" };
    const problems: string[] = [];
    for (const e of this.entries) {
      const result = e.prepared === undefined ? undefined : results.get(e.index);
      if (result === undefined) continue;
      const problem = nonFiniteResult(e.spec.kind, result) ?? previewKind(e.prepared!.kind).check?.(e.prepared!, result);
      if (problem !== undefined) problems.push(problem);
    }
    const previews: RenderedPreview[] = [];
    for (const e of this.entries) {
      previews.push(
        e.prepared === undefined
          ? await this.custom(e, parameters, rngs[e.index]!, step, caption)
          : await previewKind(e.prepared.kind).render(e.prepared, results.get(e.index)!, caption),
      );
    }
    return { previews, offThread: computedOffThread, problems };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.buffers.length = 0;
    const thread = this.thread;
    this.thread = undefined;
    await thread?.close();
  }

  private source(need: PreviewGraphNeed): GraphSource {
    const key = graphKey(need.graph, need.batchSize);
    let source = this.sources.get(key);
    if (source === undefined) {
      source = this.settings.graph(need);
      this.sources.set(key, source);
    }
    return source;
  }

  private sourcesFor(entries: readonly Entry[]): Map<string, GraphSource> {
    const map = new Map<string, GraphSource>();
    for (const e of entries) for (const need of e.prepared?.graphs ?? []) map.set(graphKey(need.graph, need.batchSize), this.source(need));
    return map;
  }

  private async computeHere(
    entries: readonly Entry[],
    weights: TensorGroup,
    rngs: readonly GeneratorState[],
    _step: number,
    _caption: string,
  ): Promise<PreviewResult[]> {
    if (entries.length === 0) return [];
    const graphs = new BakedGraphs(this.sourcesFor(entries), weights, this.settings.threads);
    try {
      const out: PreviewResult[] = [];
      for (const e of entries) {
        const rng = generatorFromState(rngs[e.index]!);
        out.push(await previewKind(e.prepared!.kind).compute(e.prepared!, { run: (g, n, feeds) => graphs.run(g, n, feeds), rng, stopped: () => this.closed }));
      }
      return out;
    } finally {
      await graphs.release();
    }
  }

  /** A custom preview: the user's function, on this thread, with the model's graphs baked on demand. */
  private async custom(e: Entry, weights: TensorGroup, rng: GeneratorState, step: number, caption: string): Promise<RenderedPreview> {
    const sources = new Map<string, GraphSource>();
    const graphs = new BakedGraphs(sources, weights, this.settings.threads);
    try {
      const result = await e.spec.render!({
        step,
        caption,
        data: this.settings.data,
        rng: generatorFromState(rng),
        run: (graph, feeds, batchSize) => {
          const n = batchSize ?? Object.values(feeds)[0]?.shape[0];
          if (n === undefined) throw new RangeError(`context.run('${graph}'): give at least one feed, or the batch size.`);
          const key = graphKey(graph, n);
          if (!sources.has(key)) sources.set(key, this.source({ graph, batchSize: n }));
          return graphs.run(graph, n, feeds);
        },
      });
      return await renderCustomPreview(result, caption);
    } finally {
      await graphs.release();
    }
  }

  private fallBack(why: string): void {
    if (this.fellBack || this.closed) return;
    this.fellBack = true;
    this.settings.onFallback(why);
  }
}
