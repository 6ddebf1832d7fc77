/**
 * TrainingSession on onnxruntime (see training-session.ts for the contract).
 *
 *   create:  discover parameters (build the loss once on a scratch graph)
 *            → initial values from the generator, in declaration order
 *            → plan the buffer layout → build + compile the fused step graph (once)
 *   step:    model.feeds(batch, rng) → lr from the schedule → run → swap in the returned buffers
 *
 * Buffers are never written in place: a step replaces them with the arrays onnxruntime returns, so
 * anything handed out (parameters(), stateDict()) stays valid and unchanged.
 */
import { NbresumeError } from "../../errors.js";
import { EngineErrorCode } from "../messages.js";
import { tensor, type Tensor, type TensorGroup } from "../../tensor.js";
import { GraphBuilder } from "../graph/graph-builder.js";
import { serializeGraph } from "../graph/serialize.js";
import { product, sameShape } from "../graph/shape.js";
import { cast } from "../graph/functional.js";
import { createParameterScope } from "../nn/graph-parameter-scope.js";
import { initialParameters } from "../nn/initial-parameters.js";
import type { JsonValue } from "../nn/json.js";
import type { Feeds, InputSpecs, Model, ModelGraph } from "../nn/model.js";
import { drawRandomInput, type RandomInputSpec } from "../nn/random-input.js";
import type { ParameterSpec } from "../nn/parameter-scope.js";
import type { Optimizer } from "../optim/optimizer.js";
import { stateName } from "../optim/optimizer.js";
import type { Schedule } from "../optim/schedule.js";
import { defaultGraphCacheDir } from "../runtime/graph-cache.js";
import { compileGraph } from "../runtime/ort-runtime.js";
import type { CompiledGraph } from "../runtime/runtime.js";
import { bindToLayout, type GroupBuffers, type LayoutBinding } from "./layout-binding.js";
import { sessionMessages as msg } from "./messages.js";
import { names, planLayout, type LayoutKind, type ParameterGroup } from "./parameter-layout.js";
import { discoverModel } from "./model-discovery.js";
import { buildStepGraph, checkLoss, declareInputs, type StepGraph } from "./step-graph.js";
import type { Generator } from "../random/generator.js";
import type { BoundGraph, StateDict, StepOptions, StepResult, TrainingSession, TrainingSessionOptions, TrainingState } from "./training-session.js";

/** Compiles ONNX bytes (default: onnxruntime-node through runtime/ort-runtime.ts). */
export type GraphCompiler = (model: Uint8Array, options: { threads?: number }) => Promise<CompiledGraph>;

export interface OnnxSessionOptions<Batch> extends TrainingSessionOptions<Batch> {
  readonly compile?: GraphCompiler;
  /** Buffer layout (default "flat"; see parameter-layout.ts). */
  readonly layout?: LayoutKind;
}

type Buffers = Map<string, Float32Array>;

export async function createTrainingSession<Batch>(options: OnnxSessionOptions<Batch>): Promise<TrainingSession<Batch>> {
  const { model, batchSize } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw new RangeError(msg.badSessionBatchSize(batchSize));
  if (options.clipGradNorm !== undefined && !(options.clipGradNorm > 0)) throw new RangeError(msg.badClipGradNorm(options.clipGradNorm));
  const { parameters: specs, fingerprint } = discoverModel(model, batchSize);
  const groups = planLayout(specs, options.layout ?? "flat");
  const inputs = model.inputs(batchSize);
  const step = buildStepGraph(model, { groups, inputs, optimizer: options.optimizer, clipGradNorm: options.clipGradNorm, gradNorm: options.gradNorm === true });
  const compile = options.compile ?? compileStepGraph;
  const compiled = await compile(serializeGraph(step.graph), { threads: options.threads });

  const params = packGroups(groups, initialParameters(specs, options.rng));
  const state: Buffers = new Map();
  for (const grp of groups) for (const slot of options.optimizer.slots) state.set(names.state(slot, grp.name), new Float32Array(grp.size));
  return new OnnxTrainingSession({ ...options, compile }, specs, fingerprint, groups, inputs, { compiled, ...step }, params, state);
}

/**
 * The default compiler: through the graph cache (graph-cache.ts), so a restarted kernel loads the
 * step graph onnxruntime optimised last time instead of optimising it again.
 */
const compileStepGraph: GraphCompiler = (model, { threads }) => {
  const cacheDir = defaultGraphCacheDir();
  return compileGraph(model, { ...(threads === undefined ? {} : { threads }), ...(cacheDir === undefined ? {} : { cacheDir }) });
};

function packGroups(groups: readonly ParameterGroup[], values: TensorGroup): Buffers {
  const out: Buffers = new Map();
  for (const grp of groups) {
    const buf = new Float32Array(grp.size);
    for (const m of grp.members) buf.set(values[m.spec.name]!.data as Float32Array, m.offset);
    out.set(grp.name, buf);
  }
  return out;
}

interface CompiledStep extends StepGraph {
  readonly compiled: CompiledGraph;
}

/** A compiled graph over the session's parameters (loss or an extra graph). */
interface ParameterGraph {
  readonly compiled: CompiledGraph;
  readonly layout: LayoutBinding;
  readonly inputs: InputSpecs;
  readonly randoms: readonly RandomInputSpec[];
}

class OnnxTrainingSession<Batch> implements TrainingSession<Batch> {
  readonly model: Model<Batch>;
  readonly batchSize: number;
  private steps = 0;
  private readonly rng: Generator;
  private readonly optimizer: Optimizer;
  private readonly schedule: Schedule;
  private readonly graphs = new Map<string, Promise<BoundGraphImpl>>();
  private lossGraph: Promise<ParameterGraph> | undefined;

  constructor(
    private readonly options: OnnxSessionOptions<Batch> & { readonly compile: GraphCompiler },
    readonly parameterSpecs: readonly ParameterSpec[],
    readonly modelFingerprint: string,
    private readonly groups: readonly ParameterGroup[],
    private readonly inputSpecs: InputSpecs,
    private readonly stepGraph: CompiledStep,
    private params: Buffers,
    private state: Buffers,
  ) {
    this.model = options.model;
    this.batchSize = options.batchSize;
    this.rng = options.rng;
    this.optimizer = options.optimizer;
    this.schedule = options.schedule;
  }

  get stepCount(): number {
    return this.steps;
  }

  parameters(): TensorGroup {
    return this.views(
      this.params,
      (name) => name,
      (grp) => grp.name,
    );
  }

  async step(batch: Batch, options?: StepOptions): Promise<StepResult> {
    return this.stepWithFeeds(this.model.feeds(batch, this.rng), options);
  }

  async stepWithFeeds(feeds: Feeds, options: StepOptions = {}): Promise<StepResult> {
    const { compiled, layout, outputs, scalarNames, randoms } = this.stepGraph;
    const all: Record<string, Tensor> = {};
    checkFeeds(withRandoms(feeds, randoms, this.rng), withRandomSpecs(this.inputSpecs, randoms), all);
    layout.feeds(this.params, all);
    for (const [key, buf] of this.state) all[key] = { dtype: "float32", shape: this.groupShape(key), data: buf };
    const lr = this.schedule.lr(this.steps);
    const update = this.steps + 1;
    all[names.lr] = scalar(lr);
    all[names.step] = scalar(update);
    const derived = this.optimizer.scalars(lr, update);
    for (const n of scalarNames) all[n] = scalar(derived[n]!);

    const out = await compiled.run(all);
    const loss = Number(out[outputs.loss]!.data[0]);
    const gradNorm = outputs.gradNorm === undefined ? undefined : Number(out[outputs.gradNorm]!.data[0]);
    const nonFinite = !Number.isFinite(loss) ? "loss" : gradNorm !== undefined && !Number.isFinite(gradNorm) ? "gradient" : undefined;
    if (nonFinite !== undefined) {
      // Never applied: the buffers stay as they were.
      if (options.skipNonFinite === true) {
        this.steps = update;
        return { step: update, loss, lr, metrics: gradNorm === undefined ? {} : { [names.gradNorm]: gradNorm }, skipped: nonFinite };
      }
      if (nonFinite === "loss") throw new NbresumeError(EngineErrorCode.NONFINITE_LOSS, msg.nonFiniteLoss(update, loss), { where: `step ${update}` });
      throw new NbresumeError(EngineErrorCode.NONFINITE_GRADIENT, msg.nonFiniteGradient(update, gradNorm!), { where: `step ${update}` });
    }

    const params: Buffers = new Map();
    const state: Buffers = new Map();
    for (const grp of this.groups) params.set(grp.name, out[outputs.params[grp.name]!]!.data as Float32Array);
    for (const key of this.state.keys()) state.set(key, out[outputs.state[key]!]!.data as Float32Array);
    this.params = params;
    this.state = state;
    this.steps = update;
    const metrics: Record<string, number> = {};
    for (const [m, name] of Object.entries(outputs.metrics)) metrics[m] = Number(out[name]!.data[0]);
    if (gradNorm !== undefined) metrics[names.gradNorm] = gradNorm;
    return { step: update, loss, lr, metrics };
  }

  stateDict(extra: Readonly<Record<string, JsonValue>> = {}): StateDict {
    const optimizer: Record<string, Tensor> = {};
    for (const slot of this.optimizer.slots) {
      Object.assign(
        optimizer,
        this.views(
          this.state,
          (name) => stateName(slot, name),
          (grp) => names.state(slot, grp.name),
        ),
      );
    }
    const state: TrainingState = {
      ...extra,
      step: this.steps,
      model: this.model.config,
      optimizer: this.optimizer.config,
      schedule: this.schedule.config,
      rng: JSON.parse(JSON.stringify(this.rng.state())) as JsonValue,
    };
    return { tensors: { model: this.parameters(), optimizer }, state };
  }

  loadStateDict(dict: StateDict): void {
    const step = dict.state.step;
    if (!Number.isSafeInteger(step) || step < 0) throw new NbresumeError(EngineErrorCode.STATE_INVALID, msg.badStep(step), { where: "state.step" });
    const model = dict.tensors.model;
    const optimizer = dict.tensors.optimizer;
    checkGroup("model", model, new Map(this.parameterSpecs.map((s) => [s.name, s.shape])));
    checkGroup(
      "optimizer",
      optimizer,
      new Map(this.parameterSpecs.flatMap((s) => this.optimizer.slots.map((slot) => [stateName(slot, s.name), s.shape] as const))),
    );

    // Everything is validated before anything changes, so a failed load leaves the session as it was.
    const params: Buffers = new Map();
    const state: Buffers = new Map();
    for (const grp of this.groups) {
      params.set(
        grp.name,
        gather(grp, (name) => model[name]!),
      );
      for (const slot of this.optimizer.slots)
        state.set(
          names.state(slot, grp.name),
          gather(grp, (name) => optimizer[stateName(slot, name)]!),
        );
    }
    this.rng.restore(dict.state.rng);
    this.params = params;
    this.state = state;
    this.steps = step;
  }

  graph(name: string, batchSize: number): Promise<BoundGraph> {
    const def = this.model.graphs?.[name];
    if (def === undefined) return Promise.reject(new Error(msg.unknownGraph(name, Object.keys(this.model.graphs ?? {}))));
    if (!Number.isSafeInteger(batchSize) || batchSize <= 0) return Promise.reject(new RangeError(msg.badGraphBatchSize(name, batchSize)));
    const key = `${name}@${batchSize}`;
    let bound = this.graphs.get(key);
    if (bound === undefined) {
      bound = this.compileExtra(name, def, batchSize);
      this.graphs.set(key, bound);
      bound.catch(() => this.graphs.delete(key));
    }
    return bound;
  }

  async evaluate(batch: Batch, rng: Generator): Promise<{ loss: number; metrics: Record<string, number> }> {
    this.lossGraph ??= this.compileLoss();
    this.lossGraph.catch(() => {
      this.lossGraph = undefined;
    });
    const { compiled, layout, randoms } = await this.lossGraph;
    const feeds: Record<string, Tensor> = {};
    checkFeeds(withRandoms(this.model.feeds(batch, rng), randoms, rng), withRandomSpecs(this.inputSpecs, randoms), feeds);
    layout.feeds(this.params, feeds);
    const out = await compiled.run(feeds);
    const metrics: Record<string, number> = {};
    for (const m of Object.keys(this.stepGraph.outputs.metrics)) metrics[m] = Number(out[names.metric(m)]!.data[0]);
    return { loss: Number(out[names.loss]!.data[0]), metrics };
  }

  async release(): Promise<void> {
    const extras = await Promise.allSettled([...this.graphs.values()]);
    this.graphs.clear();
    const loss = this.lossGraph;
    this.lossGraph = undefined;
    await this.stepGraph.compiled.release();
    for (const e of extras) if (e.status === "fulfilled") await e.value.release();
    if (loss !== undefined) await (await loss).compiled.release();
  }

  /** Per-parameter views into group buffers. */
  private views(buffers: Buffers, tensorName: (param: string) => string, key: (grp: ParameterGroup) => string): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const grp of this.groups) {
      const buf = buffers.get(key(grp))!;
      for (const m of grp.members) out[tensorName(m.spec.name)] = tensor("float32", m.spec.shape, buf.subarray(m.offset, m.offset + m.size));
    }
    return out;
  }

  private groupShape(stateKey: string): readonly number[] {
    const group = stateKey.slice(stateKey.indexOf("/") + 1);
    return this.groups.find((g) => g.name === group)!.shape;
  }

  private async compileLoss(): Promise<ParameterGraph> {
    const g = new GraphBuilder("loss");
    const layout = bindToLayout(g, this.groups, "loss");
    const inputs = declareInputs(g, this.inputSpecs);
    const bound = createParameterScope(g, layout.bind, { training: false });
    const { loss, metrics = {} } = this.model.loss(bound.scope, inputs);
    checkLoss(loss);
    g.output(loss, names.loss);
    for (const m of Object.keys(this.stepGraph.outputs.metrics)) g.output(cast(metrics[m]!, "float32"), names.metric(m));
    const compiled = await this.options.compile(serializeGraph(g), { threads: this.options.threads });
    return { compiled, layout, inputs: this.inputSpecs, randoms: bound.randoms() };
  }

  private async compileExtra(name: string, def: ModelGraph, batchSize: number): Promise<BoundGraphImpl> {
    const g = new GraphBuilder(name);
    const layout = bindToLayout(g, this.groups, name);
    const specs = def.inputs(batchSize);
    const inputs = declareInputs(g, specs);
    const bound = createParameterScope(g, layout.bind, { training: false });
    const outputs = def.build(bound.scope, inputs);
    for (const [out, v] of Object.entries(outputs)) g.output(v, out);
    const compiled = await this.options.compile(serializeGraph(g), { threads: this.options.threads });
    return new BoundGraphImpl(name, batchSize, { compiled, layout, inputs: specs, randoms: bound.randoms() }, () => this.params);
  }
}

class BoundGraphImpl implements BoundGraph {
  constructor(
    readonly name: string,
    readonly batchSize: number,
    private readonly graph: ParameterGraph,
    private readonly buffers: () => GroupBuffers,
  ) {}

  async run(feeds: Feeds, rng?: Generator): Promise<Record<string, Tensor>> {
    const all: Record<string, Tensor> = {};
    const { randoms } = this.graph;
    checkFeeds(rng === undefined ? feeds : withRandoms(feeds, randoms, rng), withRandomSpecs(this.graph.inputs, randoms), all);
    this.graph.layout.feeds(this.buffers(), all);
    return this.graph.compiled.run(all);
  }

  release(): Promise<void> {
    return this.graph.compiled.release();
  }
}

/** `feeds` plus a fresh draw of every random input the caller did not feed, in declaration order. */
function withRandoms(feeds: Feeds, randoms: readonly RandomInputSpec[], rng: Generator): Feeds {
  if (randoms.length === 0) return feeds;
  const all: Record<string, Tensor> = { ...feeds };
  for (const r of randoms) all[r.name] ??= drawRandomInput(r, rng);
  return all;
}

function withRandomSpecs(specs: InputSpecs, randoms: readonly RandomInputSpec[]): InputSpecs {
  if (randoms.length === 0) return specs;
  const all: Record<string, InputSpecs[string]> = { ...specs };
  for (const r of randoms) all[r.name] = { dtype: "float32", shape: r.shape };
  return all;
}

/** A group buffer assembled from per-parameter tensors (already validated). */
function gather(grp: ParameterGroup, get: (param: string) => Tensor): Float32Array {
  const buf = new Float32Array(grp.size);
  for (const m of grp.members) buf.set(get(m.spec.name).data as Float32Array, m.offset);
  return buf;
}

/** Copies `feeds` into `into` after checking them against `specs` (names, dtypes, shapes). */
function checkFeeds(feeds: Feeds, specs: InputSpecs, into: Record<string, Tensor>): void {
  for (const [name, spec] of Object.entries(specs)) {
    const t = feeds[name];
    if (t === undefined) throw new RangeError(msg.missingFeed(name, spec));
    if (t.dtype !== spec.dtype || !sameShape(t.shape, spec.shape)) throw new RangeError(msg.feedMismatch(name, spec, t));
    into[name] = t;
  }
  if (Object.keys(feeds).length !== Object.keys(specs).length) {
    for (const name of Object.keys(feeds)) if (!(name in specs)) throw new RangeError(msg.unknownFeed(name, Object.keys(specs)));
  }
}

function checkGroup(group: string, given: TensorGroup, expected: ReadonlyMap<string, readonly number[]>): void {
  for (const [name, shape] of expected) {
    const t = given[name];
    const want = { dtype: "float32", shape };
    if (t === undefined) throw new NbresumeError(EngineErrorCode.STATE_MISMATCH, msg.missingTensor(group, name, want), { where: `${group}/${name}` });
    if (t.dtype !== "float32" || !sameShape(t.shape, shape) || t.data.length !== product(shape)) {
      throw new NbresumeError(EngineErrorCode.STATE_MISMATCH, msg.tensorMismatch(group, name, want, t), { where: `${group}/${name}` });
    }
  }
  for (const name of Object.keys(given)) {
    if (!expected.has(name))
      throw new NbresumeError(EngineErrorCode.STATE_MISMATCH, msg.unexpectedTensor(group, name, [...expected.keys()]), { where: `${group}/${name}` });
  }
}

function scalar(v: number): Tensor {
  return { dtype: "float32", shape: [], data: new Float32Array([v]) };
}
