/**
 * A checkpoint whose files are intact but whose numbers are not — the weights of a real run
 * overwritten with NaN and ±Inf and saved through the store, so every hash matches — is DIVERGED
 * in `nbresume verify` and diverged in `nbresume list --verify`, with the tensors named, never a
 * hash failure; the store's own verify() still calls its files intact (a store may hold such
 * values on purpose). Every float dtype is judged by its exponent (the largest finite values,
 * subnormals and integers full of 0xff bytes are not counted).
 */
import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { checkpointMessages as storeMessages } from "../../src/checkpoint/messages.js";
import { nonFiniteValues } from "../../src/checkpoint/verify.js";
import { cliMessages as messages } from "../../src/cli/messages.js";
import type { Tensor, TensorGroup } from "../../src/tensor.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { mlpRun } from "../run/mlp-run.js";
import { cli } from "./in-process-cli.js";

const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

interface VerifyJson {
  ok: boolean;
  checkpoints: { name: string; ok: boolean; status: string; problems: { file: string; kind: string; message: string }[] }[];
}

describe("verify and list report a checkpoint with NaN/Inf values as diverged, not damaged", function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;
  let diverged: string; // the real run's newest checkpoint, saved again one step later with NaN/Inf weights
  let expected: string; // the message its model.safetensors problem carries

  before(async function () {
    root = await makeTempDir("cli-diverged");
    dir = path.join(root, "run");
    await (await mlpRun(dir, { steps: 40, checkpointEvery: 20, evalEvery: 20 })).train();
    const store = await CheckpointStore.open(dir);
    try {
      const loaded = await store.load("latest");
      const model = loaded.tensors["model"]!;
      // The first two float tensors of the model: three NaN in one, one +Inf and one -Inf in the other.
      const [first, second] = Object.keys(model).filter((k) => model[k]!.dtype === "float32") as [string, string];
      const a = model[first]!.data as Float32Array;
      const b = model[second]!.data as Float32Array;
      a[0] = Number.NaN;
      a[1] = Number.NaN;
      a[a.length - 1] = Number.NaN;
      b[0] = Number.POSITIVE_INFINITY;
      b[b.length - 1] = Number.NEGATIVE_INFINITY;
      // In file order (the writer sorts a group's tensors by name within a dtype).
      const found = [storeMessages.nonFiniteTensor(first, 3, a.length), storeMessages.nonFiniteTensor(second, 2, b.length)];
      expected = storeMessages.fileInvalid("model.safetensors", storeMessages.parametersNotFinite(first < second ? found : found.reverse()));
      const step = loaded.step + 1;
      // The run's state as it is, less what the store writes itself.
      const { format: _f, nbresume: _n, kind: _k, step: _s, epoch: _e, metrics: _m, ...state } = loaded.state as Record<string, unknown>;
      await store.save({ kind: "rolling", step, epoch: loaded.epoch, tensors: loaded.tensors, metrics: loaded.metrics, state });
      diverged = name(step);
    } finally {
      await store.close();
    }
  });

  after(async () => {
    await removeDir(root);
  });

  it("the store calls its files intact; its tensors, read back, hold a 'diverged' note on model.safetensors naming each tensor and its count", async () => {
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      assert.deepEqual((await store.verify(path.join(dir, diverged))).problems, [], "every file's size, hash and format are right");
      const notes = nonFiniteValues((await store.load(path.join(dir, diverged))).tensors);
      assert.deepEqual(
        notes.map((p) => [p.file, p.kind, p.message]),
        [["model.safetensors", "diverged", expected]],
      );
      const older = (await store.list()).checkpoints.filter((c) => c.name !== diverged);
      assert.ok(older.length > 0);
      for (const c of older) assert.deepEqual(nonFiniteValues((await store.load(c.path)).tensors), [], `${c.name} is finite`);
    } finally {
      await store.close();
    }
  });

  it("nbresume verify DIR shows it DIVERGED beside the ok ones, says why, and exits 1 without calling it a failure", async () => {
    const { code, stdout } = await cli("verify", dir);
    assert.equal(code, 1, stdout);
    const row = stdout.split("\n").find((l) => l.includes(diverged));
    assert.match(row ?? "", /^\s*DIVERGED\s/, stdout);
    assert.ok(stdout.includes(`✗ ${expected}`), stdout);
    for (const line of stdout.split("\n").filter((l) => /ckpt-step-/.test(l) && !l.includes(diverged))) assert.match(line, /^\s*ok\s/);
    const checked = stdout.split("\n").filter((l) => /^\s*(ok|DIVERGED|FAILED)\s+ckpt-step-/.test(l)).length;
    assert.equal(stdout.trim().split("\n").at(-1), messages.verifyDiverged(1, checked));
    assert.doesNotMatch(stdout, /FAILED|failed verification|hash/);

    const one = await cli("verify", path.join(dir, diverged), "--json");
    const json = JSON.parse(one.stdout) as VerifyJson;
    assert.equal(one.code, 1);
    assert.deepEqual(
      json.checkpoints.map((c) => [c.name, c.ok, c.status, c.problems.map((p) => p.kind)]),
      [[diverged, false, "diverged", ["diverged"]]],
    );
  });

  it("nbresume list --verify marks it diverged in the VERIFIED column and the JSON", async () => {
    const { code, stdout } = await cli("list", dir, "--verify");
    assert.equal(code, 1);
    assert.match(stdout.split("\n").find((l) => l.trimStart().startsWith(diverged)) ?? "", /\sdiverged(\s|$)/, stdout);
    assert.doesNotMatch(stdout, /FAILED|failed verification/);
    const listed = JSON.parse((await cli("list", dir, "--verify", "--json")).stdout) as {
      checkpoints: { name: string; verified: boolean; diverged: boolean }[];
    };
    for (const c of listed.checkpoints) assert.deepEqual([c.verified, c.diverged], c.name === diverged ? [false, true] : [true, false], c.name);
  });

  it("a byte changed in the diverged checkpoint is a hash failure (FAILED), not 'diverged'", async () => {
    const copy = path.join(root, "flipped");
    await fsp.cp(dir, copy, { recursive: true });
    const file = path.join(copy, diverged, "model.safetensors");
    const bytes = await fsp.readFile(file);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01;
    await fsp.writeFile(file, bytes);
    const { code, stdout } = await cli("verify", path.join(copy, diverged), "--json");
    assert.equal(code, 1);
    const [c] = (JSON.parse(stdout) as VerifyJson).checkpoints;
    assert.deepEqual([c?.status, c?.problems.map((p) => p.kind)], ["failed", ["hash"]]);
  });

  it("counts NaN and ±Inf in every float dtype by its exponent, read back from a checkpoint, and nothing in integers", async () => {
    const store = await CheckpointStore.open(path.join(root, "dtypes"));
    try {
      // Values at the edges of finite that must not count, beside the non-finite ones that must.
      const f32 = new Float32Array([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, Number.NaN, Number.NEGATIVE_INFINITY]);
      const f64 = new Float64Array([Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      const f16 = new Uint16Array([0x7bff, 0xfbff, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x3c00]); // max, -max, subnormal, +Inf, -Inf, NaN, 1
      const bf16 = new Uint16Array([0x7f7f, 0xff7f, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0x3f80]); // the same in bfloat16
      const ints = new Int32Array([-1, -1, 0x7fffffff]); // bytes 0xff everywhere: not floats
      const t = <D extends Tensor["dtype"]>(dtype: D, data: Tensor<D>["data"]): Tensor => ({ dtype, shape: [data.length], data });
      const tensors: Record<string, TensorGroup> = {
        model: { f32: t("float32", f32), f64: t("float64", f64), f16: t("float16", f16), bf16: t("bfloat16", bf16), ints: t("int32", ints) },
        optimizer: { clean: t("float32", new Float32Array([1, 2, 3])), bits: t("int64", new BigInt64Array([-1n])) },
        "ema-0.999": { w: t("float32", new Float32Array([Number.NaN, 1])) },
      };
      await store.save({ kind: "rolling", step: 1, tensors });
      const loaded = (await store.load(path.join(root, "dtypes", name(1)))).tensors;
      const notes = nonFiniteValues(loaded);
      assert.deepEqual(
        notes.map((p) => p.file).sort(),
        ["ema-0.999.safetensors", "model.safetensors"],
        "the optimizer's finite floats and integers are not counted",
      );
      assert.match(notes.find((p) => p.file === "model.safetensors")!.message, /; 1 more tensor\): training had diverged/, "three named, the fourth counted");
      assert.doesNotMatch(notes.find((p) => p.file === "model.safetensors")!.message, /ints:/);
      // Every count, one tensor at a time (the message shows three and how many more).
      for (const [k, n] of Object.entries({ f32: 2, f64: 3, f16: 3, bf16: 3 })) {
        const one = nonFiniteValues({ model: { [k]: loaded["model"]![k]! } });
        assert.equal(
          one[0]?.message,
          storeMessages.fileInvalid(
            "model.safetensors",
            storeMessages.parametersNotFinite([storeMessages.nonFiniteTensor(k, n, loaded["model"]![k]!.data.length)]),
          ),
        );
      }
      assert.deepEqual(nonFiniteValues({ model: { ints: loaded["model"]!["ints"]! } }), []);
      assert.equal(
        notes.find((p) => p.file === "ema-0.999.safetensors")?.message,
        storeMessages.fileInvalid("ema-0.999.safetensors", storeMessages.parametersNotFinite([storeMessages.nonFiniteTensor("w", 1, 2)])),
      );
    } finally {
      await store.close();
    }
  });
});
