import { strict as assert } from "node:assert";
import type { Batch } from "../../../src/engine/data/batch.js";
import { relu } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { dropout } from "../../../src/engine/layers/dropout.js";
import { linear } from "../../../src/engine/layers/linear.js";
import { defineModel } from "../../../src/engine/nn/define-model.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { accuracy, crossEntropy } from "../../../src/engine/nn/losses.js";
import type { Model } from "../../../src/engine/nn/model.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { bernoulli } from "../../../src/engine/nn/random-input.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { constantLr } from "../../../src/engine/optim/schedules.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { createTrainingSession } from "../../../src/engine/session/onnx-training-session.js";
import { declareInputs } from "../../../src/engine/session/step-graph.js";
import type { StateDict, TrainingSession } from "../../../src/engine/session/training-session.js";
import type { Tensor } from "../../../src/tensor.js";
import { assertBitwiseEqual } from "../../support/bitwise-equal.js";
import { checkLayerGradients } from "../layers/layer-gradients.js";

/** Three classes of points on a plane, separable by angle: a batch of `n` rows in column form. */
function pointsBatch(n: number, seed: number): Batch {
  const rng = createGenerator(seed);
  const x = new Float32Array(n * 2);
  const label = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    const angle = (c * 2 * Math.PI) / 3 + (rng.nextFloat() - 0.5);
    const r = 0.5 + rng.nextFloat();
    x[2 * i] = r * Math.cos(angle);
    x[2 * i + 1] = r * Math.sin(angle);
    label[i] = c;
  }
  return {
    columns: { x: { dtype: "float32", shape: [n, 2], data: x }, label: { dtype: "uint8", shape: [n], data: label } },
    indices: new Int32Array(n),
    size: n,
    epoch: 0,
    position: 0,
    epochEnded: false,
  };
}

function pointsModel(rate = 0.2): Model<Batch> {
  const forward = (scope: Parameters<Model<Batch>["loss"]>[0], x: Parameters<typeof relu>[0]) =>
    linear(scope.child("out"), dropout(scope.child("drop"), relu(linear(scope.child("fc"), x, 16)), rate), 3);
  return defineModel({
    name: "points",
    config: { hidden: 16, dropout: rate },
    inputs: { x: { dtype: "float32", shape: [2] }, label: { dtype: "int64", shape: [] } },
    loss(scope, { x, label }) {
      const logits = forward(scope, x!);
      return { loss: crossEntropy(logits, label!), metrics: { accuracy: accuracy(logits, label!) } };
    },
    graphs: { predict: { inputs: { x: { dtype: "float32", shape: [2] } }, build: (scope, { x }) => forward(scope, x!) } },
  });
}

describe("defineModel: a model of your own, with the guarantees of a built-in one", () => {
  const sessions: TrainingSession<Batch>[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.release();
  });
  const session = async (seed: number, model = pointsModel()): Promise<TrainingSession<Batch>> => {
    const s = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(0.05), batchSize: 32, rng: createGenerator(seed) });
    sessions.push(s);
    return s;
  };

  it("records its name with its config, and feeds each input from the batch column of its name (uint8 labels to int64)", async () => {
    const model = pointsModel();
    assert.deepEqual(model.config, { name: "points", hidden: 16, dropout: 0.2 });
    const feeds = model.feeds(pointsBatch(4, 1), createGenerator(0));
    assert.equal(feeds["label"]!.dtype, "int64");
    assert.deepEqual(Array.from(feeds["label"]!.data as BigInt64Array, Number), Array.from(pointsBatch(4, 1).columns["label"]!.data as Uint8Array));
  });

  it("learns: accuracy on the three separable classes goes above 90%", async () => {
    const s = await session(3);
    let last = { loss: Number.NaN, metrics: {} as Record<string, number> };
    for (let i = 0; i < 150; i++) last = await s.step(pointsBatch(32, 100 + i));
    const held = await s.evaluate(pointsBatch(32, 7), createGenerator(1));
    assert.ok(held.metrics["accuracy"]! > 0.9, `held-out accuracy ${held.metrics["accuracy"]} (last training loss ${last.loss})`);
  });

  it("draws dropout masks from the run's generator: a resumed session continues bitwise like an uninterrupted one", async () => {
    const straight = await session(11);
    for (let i = 0; i < 12; i++) await straight.step(pointsBatch(32, i));
    const first = await session(11);
    for (let i = 0; i < 5; i++) await first.step(pointsBatch(32, i));
    const dict = JSON.parse(JSON.stringify(first.stateDict().state)) as StateDict["state"];
    const tensors = first.stateDict().tensors;
    const resumed = await session(99); // another seed: everything must come from the state dict
    resumed.loadStateDict({ tensors, state: dict });
    for (let i = 5; i < 12; i++) await resumed.step(pointsBatch(32, i));
    assertBitwiseEqual(resumed.parameters(), straight.parameters(), "resumed vs straight");
    // Not a vacuous check: without dropout masks in the state the runs would differ.
    const noMask = await session(11, pointsModel(0));
    for (let i = 0; i < 12; i++) await noMask.step(pointsBatch(32, i));
    assert.throws(() => assertBitwiseEqual(noMask.parameters(), straight.parameters(), "no dropout vs dropout"));
  });

  it("declares dropout's mask as a random input of the training graph only", () => {
    const model = pointsModel();
    for (const training of [true, false]) {
      const g = new GraphBuilder("t");
      const bound = createParameterScope(g, bindAsInputs(), { training });
      model.loss(bound.scope, declareInputs(g, model.inputs(8)));
      assert.deepEqual(
        bound.randoms().map((r) => [r.name, r.shape, r.distribution]),
        training ? [["random:drop.mask", [8, 16], bernoulli(0.8, 1.25)]] : [],
      );
    }
  });

  it("has finite-difference-checked gradients as a whole (loss w.r.t. every parameter)", async () => {
    const model = pointsModel(0);
    const batch = pointsBatch(6, 5);
    const result = await checkLayerGradients({
      inputs: [
        { name: "x", shape: [6, 2], data: batch.columns["x"]!.data, differentiable: false },
        { name: "label", shape: [6], dtype: "int64", data: BigInt64Array.from(batch.columns["label"]!.data as Uint8Array, BigInt) },
      ],
      layer: (scope, [x, label]) => model.loss(scope, { x: x!, label: label! }).loss,
      dtype: "float32",
    });
    assert.ok(result.checked > 0);
  });

  it("says which input has no column, and which dtype will not convert, naming the model", () => {
    const model = pointsModel();
    const batch = pointsBatch(4, 1);
    const { label: _label, ...rest } = batch.columns;
    assert.throws(
      () => model.feeds({ ...batch, columns: rest }, createGenerator(0)),
      /Model 'points': input 'label' has no batch column of that name \(columns: x\)/,
    );
    const floatLabels: Tensor = { dtype: "float32", shape: [4], data: new Float32Array(4) };
    assert.throws(
      () => model.feeds({ ...batch, columns: { ...batch.columns, label: floatLabels } }, createGenerator(0)),
      /input 'label' is int64 but its batch column is float32, which does not convert without loss/,
    );
  });

  it("refuses a malformed declaration at once, naming the field", () => {
    const base = {
      name: "m",
      inputs: { x: { dtype: "float32" as const, shape: [2] } },
      loss: () => {
        throw new Error("not built");
      },
    };
    assert.throws(() => defineModel({ ...base, name: "" }), /name must be a non-empty string/);
    assert.throws(() => defineModel({ ...base, config: { name: "other" } }), /config may not have its own "name"/);
    assert.throws(() => defineModel({ ...base, inputs: { x: { dtype: "float32", shape: [0] } } }), /defineModel\('m'\): inputs\.x must be/);
    assert.throws(() => defineModel({ ...base, loss: 3 as never }), /defineModel\('m'\): loss must be a function/);
    assert.throws(() => defineModel({ ...base, graphs: { predict: {} as never } }), /graphs\.predict must be \{ inputs, build\(scope, inputs\) \}/);
    assert.throws(() => defineModel({ ...base, previews: [{ kind: "custom", settings: {} }] }), /previews\[0\]\.render must be a function/);
  });
});
