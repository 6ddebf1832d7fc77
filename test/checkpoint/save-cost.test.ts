/**
 * A save costs the same whatever the number of checkpoints beside it. Saves once re-listed and
 * re-sized the whole directory for the retention plan (11 ms at the 1st checkpoint, 657 ms at the
 * 2,000th); now the plan reads the store's index. Counted in file-system calls, which do not
 * depend on a shared machine's load (bench/checkpoint.bench.ts times it).
 */
import { strict as assert } from "node:assert";
import { cp, readFile, readdir, rm } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { faultFs } from "./fault-fs.js";
import { patterned } from "./patterned-tensors.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";

const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;
const tiny = (seed: number) => ({ model: { w: patterned(seed, [16]) } });

/** A directory holding `count` epoch checkpoints (steps 1…count), written fast (no pruning). */
async function runWith(count: number): Promise<string> {
  const dir = await makeTempDir(`save-cost-${count}`);
  const store = await CheckpointStore.open(dir, { autoPrune: false });
  for (let step = 1; step <= count; step++) await store.save({ kind: "epoch", step, epoch: step, tensors: tiny(step) });
  await store.close();
  return dir;
}

let nextStep = 100_000;

/** File-system calls one save makes after `warm` saves in the same store (epoch checkpoints are all kept). */
async function callsPerSave(dir: string, warm: number): Promise<number> {
  const fs = faultFs(() => undefined);
  const store = await CheckpointStore.open(dir, { fs, keep: { rolling: 1000 } });
  try {
    let step = (nextStep += 1000);
    for (let i = 0; i < warm; i++) await store.save({ kind: "rolling", step: step++, tensors: tiny(step) });
    const before = fs.calls.length;
    await store.save({ kind: "rolling", step: step++, tensors: tiny(step) });
    return fs.calls.length - before;
  } finally {
    await store.close();
  }
}

describe("the cost of a save as checkpoints accumulate", function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await removeDir(d);
  });

  it("makes as many file-system calls with 300 checkpoints beside it as with 1, from the first save of a store on", async () => {
    const one = await runWith(1);
    const many = await runWith(300);
    dirs.push(one, many);
    for (const warm of [0, 2]) {
      const a = await callsPerSave(one, warm);
      const b = await callsPerSave(many, warm);
      assert.equal(b, a, `after ${warm} saves: ${a} calls with 1 checkpoint, ${b} with 300`);
    }
  });

  it("prunes by the same plan as a fresh listing when checkpoints are removed or added behind the store's back", async () => {
    const dir = await makeTempDir("save-cost-index");
    const elsewhere = await makeTempDir("save-cost-elsewhere");
    dirs.push(dir, elsewhere);
    const other = await CheckpointStore.open(elsewhere);
    await other.save({ kind: "rolling", step: 3, tensors: tiny(3) });
    await other.close();

    const store = await CheckpointStore.open(dir, { keep: { rolling: 2 } });
    try {
      await store.save({ kind: "rolling", step: 1, tensors: tiny(1) });
      await store.save({ kind: "rolling", step: 2, tensors: tiny(2) });
      // By hand, between saves: step 1 deleted, step 3 copied in from another run.
      await rm(path.join(dir, name(1)), { recursive: true });
      await cp(path.join(elsewhere, name(3)), path.join(dir, name(3)), { recursive: true });
      const saved = await store.save({ kind: "rolling", step: 4, tensors: tiny(4) });
      assert.deepEqual(saved.warnings, [], "a checkpoint removed by hand is not a failed prune");
      assert.deepEqual(saved.pruned, [name(2)], "the copied-in step 3 counts: 3 and 4 are the newest two");
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith("ckpt-")).sort(), [name(3), name(4)]);
      // A background save (the writer thread prunes) keeps the store's view in step too.
      const bg = await store.saveInBackground({ kind: "rolling", step: 5, tensors: tiny(5) });
      assert.deepEqual((await bg.committed).pruned, [name(3)]);
      const next = await store.save({ kind: "rolling", step: 6, tensors: tiny(6) });
      assert.deepEqual(next.warnings, []);
      assert.deepEqual(next.pruned, [name(4)]);
      assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), name(6));
    } finally {
      await store.close();
    }
  });
});
