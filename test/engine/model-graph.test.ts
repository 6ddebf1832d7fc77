import { strict as assert } from "node:assert";
import { buildInferenceModel } from "../../src/engine/export.js";
import { bakeParameters, describeOnnxModel, OnnxModelError } from "../../src/engine/graph/onnx-model.js";
import { buildModelGraph, sha256Hex } from "../../src/engine/model-graph.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { initialParameters } from "../../src/engine/nn/initial-parameters.js";
import { createGenerator } from "../../src/engine/random/index.js";
import { compileGraph } from "../../src/engine/runtime/ort-runtime.js";
import { createParameterScope } from "../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../src/engine/nn/parameter-bindings.js";
import { GraphBuilder } from "../../src/engine/graph/graph-builder.js";
import { declareInputs } from "../../src/engine/session/step-graph.js";
import type { Tensor, TensorGroup } from "../../src/tensor.js";

const model = mlpClassifier({ inputSize: 12, hidden: [8], classes: 3 });

function parameters(): TensorGroup {
  const g = new GraphBuilder("discover");
  const bound = createParameterScope(g, bindAsInputs(), { training: true });
  model.loss(bound.scope, declareInputs(g, model.inputs(2)));
  return initialParameters(bound.specs(), createGenerator(5));
}

async function run(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const compiled = await compileGraph(bytes, { threads: 1 });
  try {
    return await compiled.run(feeds);
  } finally {
    await compiled.release();
  }
}

const images: Tensor = { dtype: "float32", shape: [4, 12], data: Float32Array.from({ length: 48 }, (_, i) => Math.sin(i)) };

describe("stored model graphs: a graph without weights, baked with a checkpoint's", () => {
  it("records the graph's inputs, outputs, parameters and the SHA-256 of its bytes", () => {
    const built = buildModelGraph(model, "predict", 4);
    assert.equal(built.record.sha256, sha256Hex(built.bytes));
    assert.equal(built.record.bytes, built.bytes.byteLength);
    assert.deepEqual(built.record.inputs, { images: { dtype: "float32", shape: [4, 12] } });
    assert.deepEqual(built.record.outputs, { logits: { dtype: "float32", shape: [4, 3] } });
    assert.deepEqual(built.record.parameters, ["fc0.weight", "fc0.bias", "out.weight", "out.bias"]);
    const info = describeOnnxModel(built.bytes);
    assert.deepEqual(
      info.inputs.map((i) => i.name),
      ["images", ...built.record.parameters],
    );
    assert.deepEqual(info.outputs, [{ name: "logits", dtype: "float32", shape: [4, 3] }]);
    assert.deepEqual(info.initializers, []);
  });

  it("is built the same way twice: the same bytes, the same hash", () => {
    assert.equal(buildModelGraph(model, "predict", 4).record.sha256, buildModelGraph(model, "predict", 4).record.sha256);
    assert.notEqual(buildModelGraph(model, "predict", 4).record.sha256, buildModelGraph(model, "predict", 5).record.sha256);
  });

  it("baked with weights, computes what the model's own export computes, bit for bit", async () => {
    const weights = parameters();
    const built = buildModelGraph(model, "predict", 4);
    const baked = bakeParameters(built.bytes, built.record.parameters, weights);
    const info = describeOnnxModel(baked);
    assert.deepEqual(
      info.inputs.map((i) => i.name),
      ["images"],
    );
    assert.deepEqual([...info.initializers].sort(), [...built.record.parameters].sort());
    const direct = buildInferenceModel(model, weights, { graph: "predict", batchSize: 4 }).bytes;
    const a = await run(baked, { images });
    const b = await run(direct, { images });
    assert.deepEqual(Array.from(a["logits"]!.data as Float32Array), Array.from(b["logits"]!.data as Float32Array));
  });

  it("refuses weights of the wrong shape or a missing parameter, naming it", () => {
    const weights = parameters();
    const built = buildModelGraph(model, "predict", 4);
    const wrong = { ...weights, "out.bias": { dtype: "float32", shape: [4], data: new Float32Array(4) } as Tensor };
    assert.throws(
      () => bakeParameters(built.bytes, built.record.parameters, wrong),
      (e: unknown) => e instanceof OnnxModelError && /'out\.bias' is float32\[3\] in the graph but float32\[4\]/.test(e.message),
    );
    const { ["fc0.bias"]: _gone, ...missing } = weights;
    assert.throws(
      () => bakeParameters(built.bytes, built.record.parameters, missing),
      (e: unknown) => e instanceof OnnxModelError && /'fc0\.bias', which the weights do not have/.test(e.message),
    );
    assert.throws(
      () => bakeParameters(built.bytes, ["nope"], weights),
      (e: unknown) => e instanceof OnnxModelError && /no input for the parameter 'nope'/.test(e.message),
    );
  });

  it("treats the bytes as untrusted: truncated or mutated models throw OnnxModelError or describe something, nothing else", () => {
    const built = buildModelGraph(model, "predict", 4);
    assert.throws(
      () => describeOnnxModel(built.bytes.subarray(0, built.bytes.byteLength - 7), "graph 'predict'"),
      (e: unknown) => e instanceof OnnxModelError && /graph 'predict' is not a valid ONNX model/.test(e.message),
    );
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let i = 0; i < 3000; i++) {
      const bytes = built.bytes.slice();
      const flips = 1 + (next() % 4);
      for (let k = 0; k < flips; k++) bytes[next() % bytes.length] = next() % 256;
      try {
        describeOnnxModel(bytes);
        bakeParameters(bytes, built.record.parameters, parameters());
      } catch (error) {
        assert.ok(error instanceof OnnxModelError, `mutation ${i}: ${String(error)}`);
      }
    }
  });
});
