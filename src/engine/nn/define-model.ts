/**
 * defineModel(): a model of your own, written in a notebook cell, with the guarantees of a
 * built-in one — gradients by the same autodiff, exact resume, a config fingerprint, ONNX export,
 * previews.
 *
 *   const model = defineModel({
 *     name: "spiral",
 *     config: { hidden: 64 },
 *     inputs: { x: { dtype: "float32", shape: [2] }, label: { dtype: "int64", shape: [] } },   // per example
 *     loss(scope, { x, label }) {
 *       const logits = linear(scope.child("out"), relu(linear(scope.child("fc"), x, 64)), 3);
 *       return { loss: crossEntropy(logits, label), metrics: { accuracy: accuracy(logits, label) } };
 *     },
 *     graphs: { predict: { inputs: { x: { dtype: "float32", shape: [2] } }, build: (scope, { x }) => ({ logits: … }) } },
 *     previews: [decisionBoundaryPreview({ graph: "predict", input: "x", output: "logits", label: "label" })],
 *   });
 *
 * Inputs are declared per example (the batch dimension is added) or as a function of the batch
 * size. Without `feeds`, each input takes the batch column of its name (column-feeds.ts). Dropout
 * and other randomness come from `scope.random` (drawn from the run's generator), never from the
 * graph's own RNG.
 */
import { nnMessages as msg } from "./messages.js";
import type { DType } from "../../tensor.js";
import type { Value } from "../graph/value.js";
import { columnFeeds } from "./column-feeds.js";
import type { JsonObject } from "./json.js";
import type { Feeds, InputSpecs, InputValues, LossGraph, Model, ModelGraph } from "./model.js";
import type { ParameterScope } from "./parameter-scope.js";
import type { PreviewSpec } from "./preview-spec.js";
import type { Batch } from "../data/batch.js";
import type { Generator } from "../random/generator.js";

/** One example's input: its dtype and shape without the batch dimension ([] for a label). */
export interface ExampleSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Inputs per example (the batch dimension is prepended), or full shapes for a batch size. */
export type InputsDeclaration = Readonly<Record<string, ExampleSpec>> | ((batchSize: number) => InputSpecs);

export interface GraphDeclaration {
  readonly inputs: InputsDeclaration;
  /** Built with `scope.training === false`: the named outputs, or one Value (named "output"). */
  build(scope: ParameterScope, inputs: InputValues): Readonly<Record<string, Value>> | Value;
}

export interface ModelDeclaration<B = Batch> {
  /** Names the model in messages, records and exports ("char-transformer", "spiral-mlp"). */
  readonly name: string;
  /** Your architecture settings: recorded in every checkpoint; a change is caught on resume. */
  readonly config?: JsonObject;
  readonly inputs: InputsDeclaration;
  /** The training loss (a float32 scalar), or { loss, metrics } with scalar metrics. */
  loss(scope: ParameterScope, inputs: InputValues): LossGraph | Value;
  /** The step's feeds from a batch, drawing any per-step randomness from `rng` (default: the batch's columns by input name). */
  feeds?(batch: B, rng: Generator): Feeds;
  readonly graphs?: Readonly<Record<string, GraphDeclaration>>;
  readonly previews?: PreviewSpec | readonly PreviewSpec[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isValue(v: unknown): v is Value {
  return isObject(v) && typeof v.name === "string" && Array.isArray(v.shape) && typeof v.dtype === "string" && "graph" in v;
}

function bad(model: string, field: string, expected: string, got: unknown): TypeError {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only what JSON.stringify cannot write (a symbol) gets to String()
  const shown = typeof got === "function" ? "a function" : got === undefined ? "undefined" : (JSON.stringify(got)?.slice(0, 60) ?? String(got));
  return new TypeError(msg.badDeclaration(model, field, expected, shown));
}

/** Per-example or per-batch input declarations as a function of the batch size, checked. */
function inputsOf(model: string, field: string, decl: unknown): (batchSize: number) => InputSpecs {
  if (typeof decl === "function") return decl as (batchSize: number) => InputSpecs;
  if (!isObject(decl)) throw bad(model, field, "{ name: { dtype, shape } } per example, or (batchSize) => specs", decl);
  for (const [name, spec] of Object.entries(decl)) {
    if (
      !isObject(spec) ||
      typeof spec.dtype !== "string" ||
      !Array.isArray(spec.shape) ||
      !spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) > 0)
    ) {
      throw bad(model, `${field}.${name}`, '{ dtype: "float32" | "int64" | …, shape: [positive integers] } (one example)', spec);
    }
  }
  const perExample = decl as Readonly<Record<string, ExampleSpec>>;
  return (n) => Object.fromEntries(Object.entries(perExample).map(([name, s]) => [name, { dtype: s.dtype, shape: [n, ...s.shape] }]));
}

function graphOf(model: string, name: string, decl: unknown): ModelGraph {
  if (!isObject(decl) || typeof decl.build !== "function") throw bad(model, `graphs.${name}`, "{ inputs, build(scope, inputs) }", decl);
  const inputs = inputsOf(model, `graphs.${name}.inputs`, decl.inputs);
  const build = decl.build as GraphDeclaration["build"];
  return {
    inputs,
    build(scope, values) {
      const out = build(scope, values);
      if (isValue(out)) return { output: out };
      if (!isObject(out) || !Object.values(out).every(isValue)) throw bad(model, `graphs.${name}.build()`, "return a Value or { name: Value }", out);
      return out;
    },
  };
}

function previewsOf(model: string, decl: unknown): readonly PreviewSpec[] {
  if (decl === undefined) return [];
  const list = Array.isArray(decl) ? decl : [decl];
  return list.map((p, i) => {
    if (!isObject(p) || typeof p.kind !== "string" || !isObject(p.settings))
      throw bad(model, `previews[${i}]`, "a preview such as textPreview({ … }) or customPreview(fn)", p);
    if (p.kind === "custom" && typeof p.render !== "function") throw bad(model, `previews[${i}].render`, "a function (context) => result", p.render);
    return p as unknown as PreviewSpec;
  });
}

/** A Model from its declaration; every field is checked now, with errors naming it. */
export function defineModel<B = Batch>(declaration: ModelDeclaration<B>): Model<B> {
  if (!isObject(declaration)) throw new TypeError(msg.notADeclaration());
  const d = declaration as unknown as Record<string, unknown>;
  const name = d.name;
  if (typeof name !== "string" || name.trim() === "") throw new TypeError(msg.badModelName(name));
  const config = d.config ?? {};
  if (!isObject(config)) throw bad(name, "config", "a plain object of JSON values", config);
  try {
    JSON.stringify(config);
  } catch {
    throw bad(name, "config", "a plain object of JSON values", "(not JSON-serialisable)");
  }
  if (Object.hasOwn(config, "name") || Object.hasOwn(config, "kind")) {
    throw new TypeError(msg.configNameOrKind(name));
  }
  if (typeof d.loss !== "function") throw bad(name, "loss", "a function (scope, inputs) => loss or { loss, metrics }", d.loss);
  if (d.feeds !== undefined && typeof d.feeds !== "function") throw bad(name, "feeds", "a function (batch, rng) => feeds", d.feeds);
  if (d.graphs !== undefined && !isObject(d.graphs)) throw bad(name, "graphs", "{ name: { inputs, build } }", d.graphs);
  const inputs = inputsOf(name, "inputs", d.inputs);
  const graphs = Object.fromEntries(Object.entries(d.graphs ?? {}).map(([g, decl]) => [g, graphOf(name, g, decl)]));
  const previews = previewsOf(name, d.previews);
  const loss = d.loss as ModelDeclaration<B>["loss"];
  const feeds = d.feeds as ModelDeclaration<B>["feeds"];
  return {
    config: { name, ...(config as JsonObject) },
    inputs,
    loss(scope, values) {
      const out = loss(scope, values);
      if (isValue(out)) return { loss: out };
      if (!isObject(out) || !isValue(out.loss)) throw bad(name, "loss()", "return the loss Value or { loss, metrics }", out);
      return out;
    },
    feeds: feeds ?? ((batch, _rng) => columnFeeds(batch as unknown as Batch, inputs((batch as unknown as Batch).size), name)),
    graphs,
    previews,
  };
}
