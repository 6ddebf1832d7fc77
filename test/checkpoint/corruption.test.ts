import { strict as assert } from "node:assert";
import { readFile, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointErrorCode, CheckpointStore, type CheckpointStore as Store } from "../../src/checkpoint/index.js";
import { checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { isNbresumeError } from "../../src/errors.js";
import { smallGroups } from "./patterned-tensors.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";

type Damage = "flip a byte in" | "truncate" | "delete";
const FILES = ["model.safetensors", "optimizer.safetensors", "state.json", "manifest.json"] as const;
const DAMAGES: Damage[] = ["flip a byte in", "truncate", "delete"];

async function damage(file: string, how: Damage): Promise<{ size: number }> {
  const { size } = await stat(file);
  if (how === "delete") await rm(file);
  else if (how === "truncate") await truncate(file, Math.floor(size / 2));
  else {
    const bytes = await readFile(file);
    const at = Math.floor(bytes.length * 0.6); // inside the tensor data / the JSON body
    bytes[at] = (bytes[at] as number) ^ 0x01;
    await writeFile(file, bytes);
  }
  return { size };
}

/** The exact problem line the store must report for this damage. */
function expectedProblem(file: string, how: Damage, size: number): RegExp | string {
  if (how === "delete") return messages.fileMissing(file);
  if (file === "manifest.json") return /^manifest\.json: /; // a broken manifest is reported as such, whatever broke
  if (how === "truncate") return messages.fileSize(file, size, Math.floor(size / 2));
  return /hash xxh64:[0-9a-f]{16} expected, xxh64:[0-9a-f]{16} found/;
}

describe("checkpoint corruption", () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await makeTempDir("corrupt");
    store = await CheckpointStore.open(dir, { keep: { rolling: 5 } });
    await store.save({ kind: "rolling", step: 100, tensors: smallGroups(100), state: { cursor: 100 }, metrics: { loss: 1 } });
    await store.save({ kind: "rolling", step: 200, tensors: smallGroups(200), state: { cursor: 200 }, metrics: { loss: 0.5 } });
  });
  afterEach(async () => {
    await store.close();
    await removeDir(dir);
  });

  for (const file of FILES) {
    for (const how of DAMAGES) {
      it(`detects when you ${how} ${file} of the newest checkpoint, names the file and falls back to the previous one`, async () => {
        const newest = path.join(dir, "ckpt-step-00000200-rolling");
        const { size } = await damage(path.join(newest, file), how);

        const hit = await store.resolve("auto");
        assert.equal(hit?.step, 100, "fell back to the previous checkpoint");
        assert.equal(hit?.skipped.length, 1);
        const skipped = hit?.skipped[0];
        assert.equal(skipped?.path, newest);
        assert.equal(skipped?.problems[0]?.file, file);
        const expected = expectedProblem(file, how, size);
        if (typeof expected === "string") assert.equal(skipped?.problems[0]?.message, expected);
        else assert.match(skipped?.problems[0]?.message ?? "", expected);
        assert.ok(skipped?.problem.startsWith(`${file}: `), skipped?.problem);

        // The fallback really is the previous checkpoint's content.
        const loaded = await store.load(hit ?? "auto");
        assert.equal(loaded.state.cursor, 100);
        assert.equal(loaded.tensors.model?.w?.data[0], 100);

        // Resolving by loading (one read per candidate) falls back the same way and reports the same.
        const resumed = await store.resolveAndLoad("auto");
        assert.equal(resumed?.state.cursor, 100);
        assert.equal(resumed?.tensors.model?.w?.data[0], 100);
        assert.deepEqual(resumed?.skipped, hit?.skipped);
        assert.deepEqual((await store.load("auto")).skipped, hit?.skipped);

        // Named explicitly, the damaged one is refused, not replaced.
        await assert.rejects(store.load("step:200"), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CORRUPT) && e.message.includes(file));
        await assert.rejects(store.resolve(newest), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CORRUPT) && e.message.includes(file));
        const verdict = await store.verify("step:200");
        assert.equal(verdict.ok, false);
        assert.equal(verdict.problems[0]?.file, file);
        const listed = (await store.list({ verify: true })).checkpoints;
        assert.deepEqual(
          listed.map((c) => [c.step, c.verified]),
          [
            [100, true],
            [200, false],
          ],
        );
      });
    }
  }

  it("detects a manifest edited into different but valid JSON (a changed metric)", async () => {
    const file = path.join(dir, "ckpt-step-00000200-rolling", "manifest.json");
    await writeFile(file, (await readFile(file, "utf8")).replace('"loss": 0.5', '"loss": 0.4'));
    const hit = await store.resolve("auto");
    assert.equal(hit?.step, 100);
    assert.match(hit?.skipped[0]?.problem ?? "", /^manifest\.json: checksum xxh64:[0-9a-f]{16} expected, xxh64:[0-9a-f]{16} found/);
  });

  it("detects state.json that disagrees with its manifest even when its hash was updated", async () => {
    // Both files rewritten consistently by hand, e.g. copied from another checkpoint.
    const ckpt = path.join(dir, "ckpt-step-00000200-rolling");
    const state = JSON.parse(await readFile(path.join(ckpt, "state.json"), "utf8")) as { step: number };
    state.step = 201;
    const bytes = Buffer.from(`${JSON.stringify(state)}\n`);
    await writeFile(path.join(ckpt, "state.json"), bytes);
    const { hashBytes } = await import("../../src/checkpoint/hash.js");
    const { parseManifest, serializeManifest } = await import("../../src/checkpoint/manifest.js");
    const manifest = parseManifest(await readFile(path.join(ckpt, "manifest.json")));
    manifest.files["state.json"] = { bytes: bytes.byteLength, hash: hashBytes(bytes) };
    await writeFile(path.join(ckpt, "manifest.json"), serializeManifest(manifest));
    const hit = await store.resolve("auto");
    assert.equal(hit?.step, 100);
    assert.equal(hit?.skipped[0]?.problem, messages.stateMismatch("step", 201, 200));
  });

  it("replaces a damaged checkpoint when training comes back to its step, saying so", async () => {
    const damagedDir = path.join(dir, "ckpt-step-00000200-rolling");
    const { size } = await damage(path.join(damagedDir, "model.safetensors"), "truncate");
    assert.equal((await store.resolve("auto"))?.step, 100);
    const saved = await store.save({ kind: "rolling", step: 200, tensors: smallGroups(201), state: { cursor: 201 } });
    assert.equal(saved.warnings[0], messages.replacedDamaged(damagedDir, messages.fileSize("model.safetensors", size, Math.floor(size / 2))));
    const hit = await store.resolve("auto");
    assert.equal(hit?.step, 200);
    assert.deepEqual(hit?.skipped, []);
    assert.equal((await store.load(hit ?? "auto")).state.cursor, 201);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith(".tmp-")),
      [],
    );
  });

  it("refuses to guess when every checkpoint is damaged, naming each", async () => {
    await rm(path.join(dir, "ckpt-step-00000200-rolling", "model.safetensors"));
    await truncate(path.join(dir, "ckpt-step-00000100-rolling", "state.json"), 3);
    for (const attempt of [() => store.resolve("auto"), () => store.resolveAndLoad("auto"), () => store.load("auto")]) {
      await assert.rejects(attempt(), (e: unknown) => {
        assert.ok(isNbresumeError(e, CheckpointErrorCode.CORRUPT));
        assert.ok(e.message.includes("ckpt-step-00000200-rolling (model.safetensors: missing)"), e.message);
        assert.ok(e.message.includes("ckpt-step-00000100-rolling (state.json: "), e.message);
        return true;
      });
    }
  });

  it("reports every damaged file of a skipped checkpoint, not only the first one a load meets", async () => {
    const newest = path.join(dir, "ckpt-step-00000200-rolling");
    await damage(path.join(newest, "model.safetensors"), "flip a byte in");
    await damage(path.join(newest, "optimizer.safetensors"), "truncate");
    const resumed = await store.resolveAndLoad("auto");
    assert.equal(resumed?.step, 100);
    assert.deepEqual(resumed?.skipped[0]?.problems.map((p) => [p.file, p.kind]).sort(), [
      ["model.safetensors", "hash"],
      ["optimizer.safetensors", "size"],
    ]);
  });
});
