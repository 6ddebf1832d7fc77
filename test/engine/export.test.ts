import { fromBinary } from "@bufbuild/protobuf";
import { strict as assert } from "node:assert";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelProtoSchema } from "onnx-buf";
import type { Batch } from "../../src/engine/data/batch.js";
import { buildInferenceModel, exportOnnx } from "../../src/engine/export.js";
import { EngineErrorCode, engineMessages } from "../../src/engine/messages.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { createGenerator } from "../../src/engine/random/index.js";
import { compileGraph } from "../../src/engine/runtime/ort-runtime.js";
import { nnMessages as nnMsg } from "../../src/engine/nn/messages.js";
import { sessionMessages as msg } from "../../src/engine/session/messages.js";
import { createTrainingSession } from "../../src/engine/session/onnx-training-session.js";
import { isNbresumeError } from "../../src/errors.js";
import { tensor } from "../../src/tensor.js";

function batch(n: number, features: number, seed: number): Batch {
  const rng = createGenerator(seed);
  const labels = BigInt64Array.from({ length: n }, () => BigInt(rng.int(4)));
  const images = rng.fillUniform(new Float32Array(n * features), 0, 1);
  labels.forEach((l, i) => {
    images[i * features + Number(l)] = 2;
  });
  return {
    columns: { images: tensor("float32", [n, features], images), labels: tensor("int64", [n], labels) },
    indices: new Int32Array(n),
    size: n,
    epoch: 0,
    position: 0,
    epochEnded: false,
  };
}

describe("export: a standalone inference ONNX file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "nbresume-export-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs in a fresh InferenceSession and matches the training graph's forward (|diff| ≤ 1e-5)", async () => {
    const model = mlpClassifier({ inputSize: 20, hidden: [32, 16], classes: 4, dropout: 0.1 });
    const session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(0.01), batchSize: 8, rng: createGenerator(4) });
    try {
      for (let i = 0; i < 20; i++) await session.step(batch(8, 20, i));
      const path = join(dir, "mlp.onnx");
      const exported = await exportOnnx(model, session.parameters(), path, { batchSize: 8 });
      assert.deepEqual(exported.inputs, ["images"]);
      assert.deepEqual(exported.outputs, ["logits"]);

      const fresh = await compileGraph(new Uint8Array(await readFile(path)));
      const b = batch(8, 20, 1000);
      const logits = (await fresh.run({ images: b.columns["images"]! }))["logits"]!;
      await fresh.release();
      assert.deepEqual(logits.shape, [8, 4]);

      // The training graph's forward (its loss graph, dropout off) on the same batch.
      const forward = await session.evaluate(b, createGenerator("unused"));
      const data = logits.data as Float32Array;
      let loss = 0;
      let correct = 0;
      for (let r = 0; r < 8; r++) {
        const row = Array.from(data.subarray(r * 4, r * 4 + 4));
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        const label = Number(b.columns["labels"]!.data[r]);
        loss += (lse - row[label]!) / 8;
        if (row.indexOf(max) === label) correct++;
      }
      assert.ok(Math.abs(loss - forward.loss) <= 1e-5, `exported ${loss} vs training forward ${forward.loss}`);
      assert.equal(correct / 8, forward.metrics["accuracy"]);

      const predict = await session.graph("predict", 8);
      const viaSession = (await predict.run({ images: b.columns["images"]! }))["logits"]!.data as Float32Array;
      data.forEach((v, i) => assert.ok(Math.abs(v - viaSession[i]!) <= 1e-5, `logit ${i}`));
    } finally {
      await session.release();
    }
  });

  it("holds the weights as initializers and nothing of the optimizer", async () => {
    const model = mlpClassifier({ inputSize: 6, hidden: [5], classes: 3 });
    const session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(0.01), batchSize: 2, rng: createGenerator(1) });
    try {
      const path = join(dir, "m.onnx");
      await exportOnnx(model, session.parameters(), path, { batchSize: 1 });
      const proto = fromBinary(ModelProtoSchema, new Uint8Array(await readFile(path)));
      const params = session.parameters();
      const weights = proto.graph!.initializer.filter((t) => t.name in params);
      assert.deepEqual(weights.map((t) => t.name).sort(), Object.keys(params).sort());
      for (const t of weights) {
        const want = params[t.name]!;
        assert.deepEqual(t.dims.map(Number), want.shape);
        assert.deepEqual(new Float32Array(t.rawData.slice().buffer), want.data);
      }
      assert.ok(!proto.graph!.initializer.some((t) => /^(m|v)\./.test(t.name)), "no optimizer state");
      assert.deepEqual(
        proto.graph!.input.map((i) => i.name),
        ["images"],
      );
    } finally {
      await session.release();
    }
  });

  it("replaces an existing file atomically and leaves no temporary file", async () => {
    const model = mlpClassifier({ inputSize: 6, hidden: [5], classes: 3 });
    const session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(0.01), batchSize: 2, rng: createGenerator(1) });
    try {
      const path = join(dir, "m.onnx");
      await writeFile(path, "old contents");
      const exported = await exportOnnx(model, session.parameters(), path, { batchSize: 1 });
      assert.deepEqual(new Uint8Array(await readFile(path)), exported.bytes);
      assert.deepEqual(await readdir(dir), ["m.onnx"]);
    } finally {
      await session.release();
    }
  });

  it("fails with EXPORT_WRITE_FAILED naming the path when the directory does not exist", async () => {
    const model = mlpClassifier({ inputSize: 6, hidden: [5], classes: 3 });
    const params = {
      "fc0.weight": { dtype: "float32" as const, shape: [6, 5], data: new Float32Array(30) },
      "fc0.bias": { dtype: "float32" as const, shape: [5], data: new Float32Array(5) },
      "out.weight": { dtype: "float32" as const, shape: [5, 3], data: new Float32Array(15) },
      "out.bias": { dtype: "float32" as const, shape: [3], data: new Float32Array(3) },
    };
    const path = join(dir, "missing", "m.onnx");
    await assert.rejects(
      exportOnnx(model, params, path, { batchSize: 1 }),
      (e: unknown) =>
        isNbresumeError(e, EngineErrorCode.EXPORT_WRITE_FAILED) &&
        e.where === path &&
        e.message.startsWith(engineMessages.exportWriteFailed(path, "").slice(0, 40)),
    );
  });

  it("refuses an unknown graph, a missing parameter and a parameter of the wrong shape, writing nothing", async () => {
    const model = mlpClassifier({ inputSize: 6, hidden: [5], classes: 3 });
    const path = join(dir, "x.onnx");
    await assert.rejects(exportOnnx(model, {}, path, { graph: "sample", batchSize: 1 }), { message: msg.unknownGraph("sample", ["predict"]) });
    assert.throws(() => buildInferenceModel(model, {}, { batchSize: 1 }), { message: nnMsg.missingValue("fc0.weight", []) });
    const wrong = { "fc0.weight": { dtype: "float32" as const, shape: [5, 6], data: new Float32Array(30) } };
    assert.throws(() => buildInferenceModel(model, wrong, { batchSize: 1 }), { message: nnMsg.valueMismatch("fc0.weight", [6, 5], wrong["fc0.weight"]) });
    assert.deepEqual(await readdir(dir), []);
  });
});
