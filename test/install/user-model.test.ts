/**
 * Your own model, in your own project: a temp project that installed the packed nbresume defines a
 * model and a dataset of its own using only the package's public exports ("nbresume",
 * "nbresume/nn") — a 2-D spiral classifier read from a CSV file, and a small causal transformer
 * language model with embedding dropout on a text corpus. Each trains, is SIGKILLed mid-run,
 * resumes in a new process and ends bitwise equal to an uninterrupted run (parameters, optimizer
 * moments, generator and data cursor). Then `nbresume export` in a fresh process, with none of the
 * user's code loaded, writes an ONNX file from the checkpoint that plain onnxruntime runs and that
 * computes what the training session's graph computes.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { compileGraph } from "../../src/engine/runtime/ort-runtime.js";
import type { Tensor } from "../../src/tensor.js";
import { REPO_ROOT } from "../support/jupyter-server.js";
import { assertBitwiseEqual } from "../support/bitwise-equal.js";
import { createPackedProject, userEnv, type PackedProject } from "../support/packed-project.js";

/** The user's code: plain JavaScript against the installed package's public entry points. */
const TRAIN = String.raw`
import { resumable, fromCsv, fromTextCorpus, splitDataset, textTokenizer, adamw, constantLr, createTrainingSession, createGenerator, CheckpointStore } from "nbresume";
import {
  defineModel, linear, gelu, dropout, crossEntropy, accuracy, tokenPositionEmbedding, transformerBlock, layerNormLayer, reshape,
  decisionBoundaryPreview, textPreview,
} from "nbresume/nn";

const [kind, dir, stepsText, mode] = process.argv.slice(2);
const steps = Number(stepsText);

async function spiral() {
  const points = await fromCsv("points.csv", { columns: { x: { from: ["x1", "x2"] }, label: { dtype: "uint8", from: "arm" } } });
  const data = splitDataset(points, { validation: 0.2, seed: 1 });
  const mlp = (scope, x) => linear(scope.child("out"), dropout(scope.child("drop"), gelu(linear(scope.child("fc"), x, 32)), 0.2), 3);
  const model = defineModel({
    name: "spiral",
    config: { hidden: 32 },
    inputs: { x: { dtype: "float32", shape: [2] }, label: { dtype: "int64", shape: [] } },
    loss(scope, { x, label }) {
      const logits = mlp(scope, x);
      return { loss: crossEntropy(logits, label), metrics: { accuracy: accuracy(logits, label) } };
    },
    graphs: { predict: { inputs: { x: { dtype: "float32", shape: [2] } }, build: (scope, { x }) => ({ logits: mlp(scope, x) }) } },
    previews: [decisionBoundaryPreview({ resolution: 16, points: 60 })],
  });
  return { model, data, lr: 1e-2, graph: "predict", feeds: { x: { dtype: "float32", shape: [1, 2], data: Float32Array.from([0.3, -0.7]) } } };
}

async function lm() {
  const context = 16;
  const corpus = await fromTextCorpus("story.txt", { context, tokenizer: "char", stride: 8 });
  const data = splitDataset(corpus, { validation: 0.1, seed: 2 });
  const vocab = textTokenizer(corpus.info).vocabSize;
  const config = { vocab, context, dim: 32, layers: 2, heads: 2 };
  // A GPT with embedding dropout: the run's generator decides every mask.
  const forward = (scope, ids) => {
    let h = dropout(scope.child("drop"), tokenPositionEmbedding(scope.child("embed"), ids, { vocab, context, dim: 32 }), 0.1);
    for (let i = 0; i < config.layers; i++) h = transformerBlock(scope.child("block" + i), h, { heads: 2, hidden: 64 });
    const n = ids.shape[0];
    return reshape(linear(scope.child("head"), layerNormLayer(scope.child("norm"), reshape(h, [n * context, 32])), vocab), [n, context, vocab]);
  };
  const model = defineModel({
    name: "tiny-gpt",
    config,
    inputs: { input: { dtype: "int64", shape: [context] }, target: { dtype: "int64", shape: [context] } },
    loss: (scope, { input, target }) => crossEntropy(forward(scope, input), target),
    graphs: { next: { inputs: { ids: { dtype: "int64", shape: [context] } }, build: (scope, { ids }) => ({ logits: forward(scope, ids) }) } },
    previews: [textPreview({ graph: "next", input: "ids", output: "logits", samples: 2, length: 8 })],
  });
  const ids = new BigInt64Array(context).map((_, i) => BigInt(i % 3));
  return { model, data, lr: 3e-3, graph: "next", feeds: { ids: { dtype: "int64", shape: [1, context], data: ids } } };
}

const { model, data, lr, graph, feeds } = kind === "spiral" ? await spiral() : await lm();

if (mode === "forward") {
  // What the training session's own graph computes with the newest checkpoint's weights.
  const store = await CheckpointStore.open(dir);
  const ckpt = await store.resolveAndLoad("auto");
  await store.close();
  const session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(lr), batchSize: 8, rng: createGenerator(0) });
  session.loadStateDict({ tensors: { model: ckpt.tensors.model, optimizer: ckpt.tensors.optimizer }, state: ckpt.state.training });
  const out = await (await session.graph(graph, 1)).run(feeds);
  console.log("FORWARD " + JSON.stringify(Array.from(Object.values(out)[0].data)));
  await session.release();
} else {
  const run = resumable({ dir, model, data, optimizer: adamw(), schedule: constantLr(lr), steps, batchSize: 8, checkpointEvery: 5, output: "silent", seed: 7 });
  const result = await run.train();
  console.log("RESULT " + JSON.stringify({ status: result.status, step: result.step, startStep: result.startStep }));
}
`;

/** Three interleaved spiral arms, deterministic. */
function pointsCsv(): string {
  let csv = "x1,x2,arm\n";
  for (let i = 0; i < 600; i++) {
    const arm = i % 3;
    const r = (i / 600) * 2 + 0.1;
    const angle = r * 2.2 + (arm * 2 * Math.PI) / 3;
    csv += `${(r * Math.cos(angle)).toFixed(4)},${(r * Math.sin(angle)).toFixed(4)},${arm}\n`;
  }
  return csv;
}

const STORY = readFileSync(join(REPO_ROOT, "notebooks", "data", "alice.txt"), "utf8").slice(0, 12_000);

/** Loads the newest checkpoint of a run dir (verified, read once). */
async function newest(dir: string) {
  const store = await CheckpointStore.open(dir);
  try {
    const ckpt = await store.resolveAndLoad("auto");
    assert.ok(ckpt !== undefined, `no checkpoint in ${dir}`);
    return ckpt;
  } finally {
    await store.close();
  }
}

describe("your own model in your own project: defined with the public API, killed, resumed bitwise, exported without its code", function () {
  this.timeout(900_000);
  let project: PackedProject | undefined;
  const p = (): PackedProject => {
    if (project === undefined) throw new Error("the project was not created");
    return project;
  };

  before(async function () {
    project = await createPackedProject({ files: { "train.mjs": TRAIN, "points.csv": pointsCsv(), "story.txt": STORY } });
  });

  after(function () {
    project?.remove();
  });

  /** Runs train.mjs to the end; its RESULT line. */
  async function train(kind: string, dir: string, steps: number): Promise<{ status: string; step: number; startStep: number }> {
    const r = await p().run(`node train.mjs ${kind} ${dir} ${steps}`);
    assert.equal(r.status, 0, `train.mjs ${kind} ${dir} failed:\n${r.stdout}\n${r.stderr}`);
    const line = /^RESULT (.*)$/m.exec(r.stdout);
    assert.ok(line !== null, r.stdout + r.stderr);
    return JSON.parse(line[1]!) as { status: string; step: number; startStep: number };
  }

  /** Starts train.mjs and SIGKILLs it once a checkpoint of step ≥ `after` is committed; resolves with that step. */
  function trainAndKill(kind: string, dir: string, steps: number, after: number): Promise<number> {
    const root = join(p().dir, dir);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["train.mjs", kind, dir, String(steps)], { cwd: p().dir, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      let killedAt: number | undefined;
      const poll = setInterval(() => {
        const committed = existsSync(root)
          ? readdirSync(root).flatMap((n) => {
              const m = /^ckpt-step-(\d{8})-/.exec(n);
              return m === null ? [] : [Number(m[1])];
            })
          : [];
        const step = Math.max(-1, ...committed);
        if (step >= after && killedAt === undefined) {
          killedAt = step;
          child.kill("SIGKILL");
        }
      }, 5);
      child.once("exit", (code, signal) => {
        clearInterval(poll);
        if (signal === "SIGKILL" && killedAt !== undefined) resolve(killedAt);
        else reject(new Error(`train.mjs ended before it was killed (exit ${code}, ${signal}):\n${stderr}`));
      });
    });
  }

  for (const [kind, steps, killAfter, graph] of [
    ["spiral", 120, 30, "predict"],
    ["lm", 60, 20, "next"],
  ] as const) {
    it(`${kind}: SIGKILLed mid-run, then resumed in a new process, ends bitwise equal to an uninterrupted run`, async function () {
      const straight = await train(kind, `runs/${kind}-straight`, steps);
      assert.deepEqual(straight, { status: "finished", step: steps, startStep: 0 });

      const killedAt = await trainAndKill(kind, `runs/${kind}-killed`, steps, killAfter);
      assert.ok(killedAt < steps, `killed at ${killedAt}, before the end`);
      const resumed = await train(kind, `runs/${kind}-killed`, steps);
      assert.equal(resumed.status, "finished");
      assert.ok(resumed.startStep >= killAfter && resumed.startStep < steps, `resumed from step ${resumed.startStep}`);

      const a = await newest(join(p().dir, `runs/${kind}-straight`));
      const b = await newest(join(p().dir, `runs/${kind}-killed`));
      assert.equal(a.step, steps);
      assert.equal(b.step, steps);
      assertBitwiseEqual(b.tensors["model"]!, a.tensors["model"]!, "parameters");
      assertBitwiseEqual(b.tensors["optimizer"]!, a.tensors["optimizer"]!, "optimizer moments");
      const sa = a.state as unknown as { training: { rng: unknown }; data: unknown };
      const sb = b.state as unknown as { training: { rng: unknown }; data: unknown };
      assert.deepEqual(sb.training.rng, sa.training.rng, "the generator's state");
      assert.deepEqual(sb.data, sa.data, "the data cursor");
      // The checkpoint describes its own model: stored graphs and previews are recorded.
      const model = (a.state as { model?: { graphs: { graph: string }[]; previews: { kind: string }[] } }).model;
      assert.ok(
        model?.graphs.some((g) => g.graph === graph),
        JSON.stringify(model),
      );
    });

    it(`${kind}: nbresume export in a fresh process (no user code) writes ONNX that plain onnxruntime runs, computing what the training graph computes`, async function () {
      const dir = `runs/${kind}-straight`;
      const exported = await p().run(`npx nbresume export ${dir} --out ${kind}.onnx --graph ${graph} --json`);
      assert.equal(exported.status, 0, exported.stdout + exported.stderr);
      const result = JSON.parse(exported.stdout) as { from: string; inputs: string[]; outputs: string[] };
      assert.equal(result.from, "stored graph");
      const forward = await p().run(`node train.mjs ${kind} ${dir} 0 forward`);
      assert.equal(forward.status, 0, forward.stdout + forward.stderr);
      const expected = JSON.parse(/^FORWARD (.*)$/m.exec(forward.stdout)![1]!) as number[];

      const onnx = readFileSync(join(p().dir, `${kind}.onnx`));
      const compiled = await compileGraph(onnx, { threads: 1 });
      try {
        const feeds: Record<string, Tensor> =
          kind === "spiral"
            ? { x: { dtype: "float32", shape: [1, 2], data: Float32Array.from([0.3, -0.7]) } }
            : { ids: { dtype: "int64", shape: [1, 16], data: new BigInt64Array(16).map((_, i) => BigInt(i % 3)) } };
        assert.deepEqual(compiled.inputNames, Object.keys(feeds));
        const out = Object.values(await compiled.run(feeds))[0]!;
        const got = Array.from(out.data as Float32Array);
        assert.equal(got.length, expected.length);
        for (let i = 0; i < got.length; i++)
          assert.ok(Math.abs(got[i]! - expected[i]!) <= 1e-5 * Math.max(1, Math.abs(expected[i]!)), `output ${i}: ${got[i]} vs ${expected[i]}`);
      } finally {
        await compiled.release();
      }
    });
  }
});
