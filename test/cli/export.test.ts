import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { CliErrorCode, cliMessages as messages } from "../../src/cli/messages.js";
import { SAMPLE_EPS, SAMPLE_GRAPH, SAMPLE_T, SAMPLE_X, ddpm } from "../../src/engine/diffusion/ddpm-model.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { createGenerator } from "../../src/engine/random/index.js";
import { compileGraph } from "../../src/engine/runtime/ort-runtime.js";
import { createTrainingSession } from "../../src/engine/session/onnx-training-session.js";
import { tensor } from "../../src/tensor.js";
import { smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { ensureBuilt, nbresume, nbresumeJson } from "./compiled-cli.js";

describe("nbresume export (the compiled CLI in a child process)", function () {
  let dir: string;

  before(async function () {
    this.timeout(180_000); // a full tsc build when dist/ is older than src/
    await ensureBuilt();
  });
  beforeEach(async () => {
    dir = await makeTempDir("cli-export");
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("writes the trained MLP of a checkpoint as an ONNX file that onnxruntime runs with the same logits", async () => {
    const model = mlpClassifier({ inputSize: 12, hidden: [10], classes: 3 });
    const rng = createGenerator(5);
    const session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(0.05), batchSize: 4, rng: createGenerator(9) });
    try {
      for (let i = 0; i < 5; i++) {
        const labels = BigInt64Array.from({ length: 4 }, () => BigInt(rng.int(3)));
        await session.step({
          columns: { images: tensor("float32", [4, 12], rng.fillUniform(new Float32Array(48), 0, 1)), labels: tensor("int64", [4], labels) },
          indices: new Int32Array(4),
          size: 4,
          epoch: 0,
          position: 0,
          epochEnded: false,
        });
      }
      const dict = session.stateDict();
      const runDir = path.join(dir, "run");
      const store = await CheckpointStore.open(runDir);
      await store.save({ kind: "rolling", step: session.stepCount, tensors: dict.tensors, state: dict.state });
      await store.close();

      const out = path.join(dir, "mlp.onnx");
      const { code, json, stderr } = await nbresumeJson<{
        model: string;
        graph: string;
        step: number;
        batchSize: number;
        inputs: string[];
        outputs: string[];
        bytes: number;
        out: string;
      }>("export", runDir, "--out", out, "--batch-size", "4");
      assert.equal(code, 0, stderr);
      assert.deepEqual(
        [json.model, json.graph, json.step, json.batchSize, json.inputs, json.outputs, json.out],
        ["mlp-classifier", "predict", 5, 4, ["images"], ["logits"], out],
      );
      assert.equal(json.bytes, (await fsp.stat(out)).size);

      const images = { dtype: "float32" as const, shape: [4, 12], data: rng.fillUniform(new Float32Array(48), 0, 1) };
      const exported = await compileGraph(new Uint8Array(await fsp.readFile(out)));
      const logits = (await exported.run({ images }))["logits"]!.data as Float32Array;
      await exported.release();
      const expected = (await (await session.graph("predict", 4)).run({ images }))["logits"]!.data as Float32Array;
      assert.equal(logits.length, 12);
      logits.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-6, `logit ${i}: ${v} vs ${expected[i]}`));
    } finally {
      await session.release();
    }
  });

  it("exports the DDPM denoiser's sample graph (x, t → eps) from the state resumable() writes, matching the session", async () => {
    const model = ddpm({ unet: "tiny", schedule: { kind: "linear", steps: 50 } });
    const session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(0.001), batchSize: 2, rng: createGenerator(3) });
    try {
      const dict = session.stateDict();
      const store = await CheckpointStore.open(dir);
      await store.save({ kind: "final", step: 0, tensors: dict.tensors, state: { run: 1, config: { model: model.config }, training: dict.state } });
      await store.close();
      const out = path.join(dir, "denoiser.onnx");
      const { code, json, stderr } = await nbresumeJson<{ model: string; graph: string; inputs: string[]; outputs: string[] }>(
        "export",
        dir,
        "--out",
        out,
        "--batch-size",
        "2",
      );
      assert.equal(code, 0, stderr);
      assert.deepEqual([json.model, json.graph, json.inputs, json.outputs], ["ddpm", SAMPLE_GRAPH, [SAMPLE_X, SAMPLE_T], [SAMPLE_EPS]]);

      const rng = createGenerator(8);
      const feeds = {
        [SAMPLE_X]: { dtype: "float32" as const, shape: [2, 1, 28, 28], data: rng.fillNormal(new Float32Array(2 * 784), 0, 1) },
        [SAMPLE_T]: { dtype: "int64" as const, shape: [2], data: BigInt64Array.from([3n, 41n]) },
      };
      const exported = await compileGraph(new Uint8Array(await fsp.readFile(out)));
      const eps = (await exported.run(feeds))[SAMPLE_EPS]!.data as Float32Array;
      await exported.release();
      const expected = (await (await session.graph(SAMPLE_GRAPH, 2)).run(feeds))[SAMPLE_EPS]!.data as Float32Array;
      assert.equal(eps.length, 2 * 784);
      eps.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-5, `eps ${i}: ${v} vs ${expected[i]}`));
    } finally {
      await session.release();
    }
  });

  it("exits 1 saying what is missing when the checkpoint does not record its model", async () => {
    const store = await CheckpointStore.open(dir);
    const saved = await store.save({ kind: "final", step: 2, tensors: smallGroups(2), state: { config: { lr: 0.1 } } });
    await store.close();
    const out = path.join(dir, "x.onnx");
    const { code, stderr } = await nbresume("export", dir, "--out", out);
    assert.equal(code, 1);
    assert.equal(stderr.split("\n")[0], messages.error(messages.exportNoModelConfig(saved.path)));
    await assert.rejects(fsp.stat(out), "nothing written");
    const json = await nbresumeJson<{ error: { code: string } }>("export", dir, "--out", out);
    assert.equal(json.json.error.code, CliErrorCode.EXPORT_UNSUPPORTED);
  });

  it("exits 1 naming the model kinds it can rebuild when the checkpoint's model kind is unknown", async () => {
    const store = await CheckpointStore.open(dir);
    await store.save({ kind: "final", step: 2, tensors: smallGroups(2), state: { model: { kind: "resnet", depth: 18 } } });
    await store.close();
    const { code, stderr } = await nbresume("export", dir, "--out", path.join(dir, "x.onnx"));
    assert.equal(code, 1);
    assert.equal(stderr.split("\n")[0], messages.error(messages.exportUnknownModel("resnet", ["ddpm", "mlp-classifier"])));
  });

  it("exits 2 without --out or when its directory does not exist", async () => {
    assert.equal((await nbresume("export", dir)).code, 2);
    const missing = path.join(dir, "no", "x.onnx");
    const { code, stderr } = await nbresume("export", dir, "--out", missing);
    assert.equal(code, 2);
    assert.ok(stderr.startsWith(`nbresume: ${messages.badOutPath(missing)}`));
  });
});
