import { strict as assert } from "node:assert";
import type { Batch } from "../../../src/engine/data/batch.js";
import { EngineErrorCode } from "../../../src/engine/messages.js";
import { mlpClassifier } from "../../../src/engine/models/mlp-classifier.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { constantLr, linearWarmup } from "../../../src/engine/optim/schedules.js";
import { sgd } from "../../../src/engine/optim/sgd.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { sessionMessages as msg } from "../../../src/engine/session/messages.js";
import { createTrainingSession } from "../../../src/engine/session/onnx-training-session.js";
import type { StateDict, TrainingSession } from "../../../src/engine/session/training-session.js";
import { isNbresumeError } from "../../../src/errors.js";
import { cloneTensor, tensor, type TensorGroup } from "../../../src/tensor.js";
import { assertBitwiseEqual } from "../../support/bitwise-equal.js";
import { linearRegression, randomBatch, type RegressionBatch } from "./tiny-regression.js";

const IN = 5;
const OUT = 3;
const B = 4;

function snapshot(group: TensorGroup): TensorGroup {
  return Object.fromEntries(Object.entries(group).map(([k, t]) => [k, cloneTensor(t)]));
}

function copyDict(d: StateDict): StateDict {
  return {
    tensors: { model: snapshot(d.tensors.model), optimizer: snapshot(d.tensors.optimizer) },
    state: JSON.parse(JSON.stringify(d.state)) as StateDict["state"],
  };
}

/** A synthetic classification batch in the DataLoader's format. */
function classBatch(n: number, features: number, seed: number): Batch {
  const rng = createGenerator(seed);
  const labels = BigInt64Array.from({ length: n }, () => BigInt(rng.int(3)));
  const images = rng.fillUniform(new Float32Array(n * features), 0, 1);
  labels.forEach((l, i) => {
    images[i * features + Number(l)] = 3;
  }); // learnable
  return {
    columns: { images: tensor("float32", [n, features], images), labels: tensor("int64", [n], labels) },
    indices: new Int32Array(n),
    size: n,
    epoch: 0,
    position: 0,
    epochEnded: false,
  };
}

async function regressionSession(
  options: { layout?: "flat" | "per-tensor"; optimizer?: ReturnType<typeof sgd>; seed?: number; clip?: number } = {},
): Promise<TrainingSession<RegressionBatch>> {
  return createTrainingSession({
    model: linearRegression(IN, OUT, B),
    optimizer: options.optimizer ?? adamw({ weightDecay: 0.1 }),
    schedule: linearWarmup(0.05, 3),
    batchSize: B,
    rng: createGenerator(options.seed ?? 1),
    layout: options.layout,
    clipGradNorm: options.clip,
  });
}

describe("TrainingSession: one fused step graph", () => {
  const sessions: TrainingSession<unknown>[] = [];
  const track = <T>(s: TrainingSession<T>): TrainingSession<T> => {
    sessions.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.release();
  });

  it("takes one SGD step equal to p − lr·∂L/∂p computed by hand (MSE of a linear layer, |diff| ≤ 1e-6)", async () => {
    const lr = 0.1;
    const s = track(
      await createTrainingSession({ model: linearRegression(IN, OUT, B), optimizer: sgd(), schedule: constantLr(lr), batchSize: B, rng: createGenerator(5) }),
    );
    const before = snapshot(s.parameters());
    const batch = randomBatch(IN, OUT, B, 9);
    const result = await s.step(batch);
    const w = before["fc.weight"]!.data as Float32Array;
    const b = before["fc.bias"]!.data as Float32Array;
    // pred = xW + b; L = mean((pred − y)²); dL/dpred = 2(pred − y)/(B·OUT)
    const dW = new Float64Array(IN * OUT);
    const db = new Float64Array(OUT);
    let loss = 0;
    for (let r = 0; r < B; r++) {
      for (let o = 0; o < OUT; o++) {
        let pred = b[o]!;
        for (let i = 0; i < IN; i++) pred += batch.x[r * IN + i]! * w[i * OUT + o]!;
        const err = pred - batch.y[r * OUT + o]!;
        loss += (err * err) / (B * OUT);
        const d = (2 * err) / (B * OUT);
        db[o]! += d;
        for (let i = 0; i < IN; i++) dW[i * OUT + o]! += batch.x[r * IN + i]! * d;
      }
    }
    assert.ok(Math.abs(result.loss - loss) <= 1e-6, `loss ${result.loss} vs ${loss}`);
    assert.equal(result.step, 1);
    assert.equal(result.lr, lr);
    const after = s.parameters();
    (after["fc.weight"]!.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - (w[i]! - lr * dW[i]!)) <= 1e-6, `weight[${i}]`));
    (after["fc.bias"]!.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - (b[i]! - lr * db[i]!)) <= 1e-6, `bias[${i}]`));
    assert.equal(s.stepCount, 1);
  });

  it("gives bitwise identical parameters and state with flat and per-tensor buffer layouts", async () => {
    const flat = track(await regressionSession({ layout: "flat" }));
    const perTensor = track(await regressionSession({ layout: "per-tensor" }));
    for (let i = 0; i < 5; i++) {
      const batch = randomBatch(IN, OUT, B, 100 + i);
      const a = await flat.step(batch);
      const b = await perTensor.step(batch);
      assert.equal(a.loss, b.loss);
    }
    assertBitwiseEqual(flat.stateDict().tensors.model, perTensor.stateDict().tensors.model, "model");
    assertBitwiseEqual(flat.stateDict().tensors.optimizer, perTensor.stateDict().tensors.optimizer, "optimizer");
  });

  it("draws initial parameters from the generator: same seed, same weights; another seed, others", async () => {
    const a = track(await regressionSession({ seed: 11 }));
    const b = track(await regressionSession({ seed: 11 }));
    const c = track(await regressionSession({ seed: 12 }));
    assertBitwiseEqual(a.parameters(), b.parameters(), "same seed");
    assert.notDeepEqual(a.parameters()["fc.weight"]!.data, c.parameters()["fc.weight"]!.data);
    const bound = 1 / Math.sqrt(IN);
    for (const v of a.parameters()["fc.weight"]!.data as Float32Array) assert.ok(Math.abs(v) <= bound, "PyTorch-style U(±1/√in) init");
  });

  it("never writes into handed-out buffers: parameters() from before a step keep their values", async () => {
    const s = track(await regressionSession());
    const held = s.parameters();
    const copy = snapshot(held);
    await s.step(randomBatch(IN, OUT, B, 1));
    assertBitwiseEqual(held, copy, "held parameters");
    assert.notDeepEqual(s.parameters()["fc.weight"]!.data, copy["fc.weight"]!.data);
  });

  it("names the state dict's tensors per parameter and records step, configs and the generator", async () => {
    const s = track(await regressionSession());
    await s.step(randomBatch(IN, OUT, B, 1));
    const d = s.stateDict({ data: { epoch: 0, position: 1 } });
    assert.deepEqual(Object.keys(d.tensors.model).sort(), ["fc.bias", "fc.weight"]);
    assert.deepEqual(Object.keys(d.tensors.optimizer).sort(), ["m.fc.bias", "m.fc.weight", "v.fc.bias", "v.fc.weight"]);
    assert.deepEqual(d.tensors.model["fc.weight"]!.shape, [IN, OUT]);
    assert.equal(d.state.step, 1);
    assert.deepEqual(d.state.model, { kind: "linear-regression", inputs: IN, outputs: OUT });
    assert.equal((d.state.optimizer as { name: string }).name, "adamw");
    assert.deepEqual(d.state.schedule, { name: "linear-warmup", lr: 0.05, warmupSteps: 3 });
    assert.equal((d.state.rng as { algorithm: string }).algorithm, "xoshiro128**");
    assert.deepEqual(d.state["data"], { epoch: 0, position: 1 });
    JSON.stringify(d.state); // plain JSON
  });

  it("continues bit-identically after loadStateDict into a fresh session (dropout masks from the restored generator)", async () => {
    const model = mlpClassifier({ inputSize: 12, hidden: [16], classes: 3, dropout: 0.25 });
    const make = (seed: number): Promise<TrainingSession<Batch>> =>
      createTrainingSession({ model, optimizer: adamw(), schedule: linearWarmup(0.01, 4), batchSize: 8, rng: createGenerator(seed) });
    const batches = Array.from({ length: 8 }, (_, i) => classBatch(8, 12, 50 + i));
    const straight = track(await make(1));
    const losses: number[] = [];
    let saved: StateDict | undefined;
    for (let i = 0; i < 8; i++) {
      if (i === 3) saved = copyDict(straight.stateDict());
      losses.push((await straight.step(batches[i]!)).loss);
    }
    const resumed = track(await make(999)); // another seed: everything must come from the dict
    resumed.loadStateDict(saved!);
    assert.equal(resumed.stepCount, 3);
    const resumedLosses: number[] = [];
    for (let i = 3; i < 8; i++) resumedLosses.push((await resumed.step(batches[i]!)).loss);
    assert.deepEqual(resumedLosses, losses.slice(3));
    assertBitwiseEqual(resumed.stateDict().tensors.model, straight.stateDict().tensors.model, "model");
    assertBitwiseEqual(resumed.stateDict().tensors.optimizer, straight.stateDict().tensors.optimizer, "optimizer");
    assert.deepEqual(resumed.stateDict().state.rng, straight.stateDict().state.rng);
  });

  it("refuses a state dict with a missing, unexpected, reshaped or retyped tensor, naming it, and changes nothing", async () => {
    const s = track(await regressionSession());
    await s.step(randomBatch(IN, OUT, B, 1));
    const good = copyDict(s.stateDict());
    const before = snapshot(s.parameters());
    const expectError = (dict: StateDict, message: string): void => {
      assert.throws(
        () => s.loadStateDict(dict),
        (e: unknown) => isNbresumeError(e, EngineErrorCode.STATE_MISMATCH) && e.message === message,
      );
    };
    const { ["fc.bias"]: _bias, ...withoutBias } = good.tensors.model;
    expectError({ ...good, tensors: { ...good.tensors, model: withoutBias } }, msg.missingTensor("model", "fc.bias", { dtype: "float32", shape: [OUT] }));
    const extra = { ...good.tensors.optimizer, "m.fc.extra": good.tensors.optimizer["m.fc.bias"]! };
    expectError(
      { ...good, tensors: { ...good.tensors, optimizer: extra } },
      msg.unexpectedTensor("optimizer", "m.fc.extra", ["m.fc.weight", "v.fc.weight", "m.fc.bias", "v.fc.bias"]),
    );
    const reshaped = { dtype: "float32" as const, shape: [OUT, IN], data: new Float32Array(IN * OUT) };
    expectError(
      { ...good, tensors: { ...good.tensors, model: { ...good.tensors.model, "fc.weight": reshaped } } },
      msg.tensorMismatch("model", "fc.weight", { dtype: "float32", shape: [IN, OUT] }, reshaped),
    );
    const retyped = { dtype: "float64" as const, shape: [OUT], data: new Float64Array(OUT) };
    expectError(
      { ...good, tensors: { ...good.tensors, optimizer: { ...good.tensors.optimizer, "v.fc.bias": retyped } } },
      msg.tensorMismatch("optimizer", "v.fc.bias", { dtype: "float32", shape: [OUT] }, retyped),
    );
    assert.throws(
      () => s.loadStateDict({ ...good, state: { ...good.state, step: -1 } }),
      (e: unknown) => isNbresumeError(e, EngineErrorCode.STATE_INVALID) && e.message === msg.badStep(-1),
    );
    assert.throws(
      () => s.loadStateDict({ ...good, state: { ...good.state, rng: { algorithm: "other" } } }),
      (e: unknown) => isNbresumeError(e, "RNG_STATE_INVALID"),
    );
    assertBitwiseEqual(s.parameters(), before, "parameters after failed loads");
    assert.equal(s.stepCount, 1);
  });

  it("evaluates loss and metrics without updating anything or touching the training generator", async () => {
    const s = track(
      await createTrainingSession({
        model: mlpClassifier({ inputSize: 12, hidden: [16], classes: 3 }),
        optimizer: adamw(),
        schedule: constantLr(0.01),
        batchSize: 8,
        rng: createGenerator(2),
      }),
    );
    const batch = classBatch(8, 12, 3);
    const rngBefore = s.stateDict().state.rng;
    const params = snapshot(s.parameters());
    const evaluated = await s.evaluate(batch, createGenerator("eval"));
    assertBitwiseEqual(s.parameters(), params, "parameters after evaluate");
    assert.deepEqual(s.stateDict().state.rng, rngBefore);
    const stepped = await s.step(batch);
    assert.ok(Math.abs(evaluated.loss - stepped.loss) <= 1e-6, `evaluate ${evaluated.loss} vs the step's forward ${stepped.loss}`);
    assert.equal(evaluated.metrics["accuracy"], stepped.metrics["accuracy"]);
  });

  it("runs extra graphs on the current parameters", async () => {
    const s = track(await regressionSession());
    const predict = await s.graph("predict", 2);
    assert.equal(await s.graph("predict", 2), predict, "compiled once per name and batch size");
    const x = Float32Array.from({ length: 2 * IN }, (_, i) => i / 10);
    const manual = (): number[] => {
      const p = s.parameters();
      const w = p["fc.weight"]!.data as Float32Array;
      const b = p["fc.bias"]!.data as Float32Array;
      return Array.from({ length: 2 * OUT }, (_, k) => {
        const r = Math.floor(k / OUT);
        const o = k % OUT;
        let v = b[o]!;
        for (let i = 0; i < IN; i++) v += x[r * IN + i]! * w[i * OUT + o]!;
        return v;
      });
    };
    const run = async (): Promise<Float32Array> => (await predict.run({ x: { dtype: "float32", shape: [2, IN], data: x } }))["y"]!.data as Float32Array;
    const first = await run();
    manual().forEach((v, i) => assert.ok(Math.abs(first[i]! - v) <= 1e-5));
    await s.step(randomBatch(IN, OUT, B, 4));
    const second = await run();
    manual().forEach((v, i) => assert.ok(Math.abs(second[i]! - v) <= 1e-5));
    assert.notDeepEqual(first, second);
    await assert.rejects(s.graph("sample", 2), { message: msg.unknownGraph("sample", ["predict"]) });
  });

  it("checks feeds against the model's inputs with clear errors", async () => {
    const s = track(await regressionSession());
    const good = randomBatch(IN, OUT, B, 1);
    await assert.rejects(s.stepWithFeeds({ x: { dtype: "float32", shape: [B, IN], data: good.x } }), {
      message: msg.missingFeed("y", { dtype: "float32", shape: [B, OUT] }),
    });
    const wrong = { dtype: "float32" as const, shape: [B + 1, OUT], data: new Float32Array((B + 1) * OUT) };
    await assert.rejects(s.stepWithFeeds({ x: { dtype: "float32", shape: [B, IN], data: good.x }, y: wrong }), {
      message: msg.feedMismatch("y", { dtype: "float32", shape: [B, OUT] }, wrong),
    });
    assert.equal(s.stepCount, 0);
  });

  it("clips the global gradient norm and reports it as grad_norm", async () => {
    const s = track(await regressionSession({ optimizer: sgd(), clip: 1e-3 }));
    const before = snapshot(s.parameters());
    const r = await s.step(randomBatch(IN, OUT, B, 1));
    assert.ok(r.metrics["grad_norm"]! > 1e-3, "the unclipped norm is reported");
    // SGD with lr 0.05/3 (warmup step 1): the update's norm is lr · 1e-3.
    let sq = 0;
    for (const [k, t] of Object.entries(s.parameters()))
      (t.data as Float32Array).forEach((v, i) => {
        sq += (v - (before[k]!.data as Float32Array)[i]!) ** 2;
      });
    assert.ok(Math.abs(Math.sqrt(sq) - (0.05 / 3) * 1e-3) <= 1e-8, `update norm ${Math.sqrt(sq)}`);
  });

  it("refuses to apply a step whose loss is not finite", async () => {
    const s = track(await regressionSession());
    const bad = randomBatch(IN, OUT, B, 1);
    bad.y[0] = Number.POSITIVE_INFINITY;
    const before = snapshot(s.parameters());
    await assert.rejects(
      s.step(bad),
      (e: unknown) => isNbresumeError(e, EngineErrorCode.NONFINITE_LOSS) && e.message === msg.nonFiniteLoss(1, Number.POSITIVE_INFINITY),
    );
    assertBitwiseEqual(s.parameters(), before, "parameters");
    assert.equal(s.stepCount, 0);
  });
});
