import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TensorGroup } from "../../../src/tensor.js";
import { readRun } from "../models/fixtures/run-record.js";

const run = promisify(execFile);
const FIXTURE = join(import.meta.dirname, "fixtures", "ddpm-run.ts");

function assertBitwiseEqual(a: TensorGroup, b: TensorGroup, what: string): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: names`);
  for (const k of Object.keys(a)) {
    const x = Buffer.from(a[k]!.data.buffer, a[k]!.data.byteOffset, a[k]!.data.byteLength);
    const y = Buffer.from(b[k]!.data.buffer, b[k]!.data.byteOffset, b[k]!.data.byteLength);
    assert.ok(x.equals(y), `${what}: tensor ${k} differs`);
  }
}

describe("diffusion: exact resume of DDPM training across processes", () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), "nbresume-ddpm-resume-")); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it("N steps straight equal k steps → state dict on disk → a new process → N−k steps: every tensor bitwise, the losses, the generator and the data cursor", async function () {
    this.timeout(300_000);
    const N = 12;
    const k = 5;
    const node = async (...args: string[]): Promise<void> => { await run(process.execPath, ["--import", "tsx", FIXTURE, ...args], { cwd: process.cwd() }); };
    await node("--out", join(dir, "straight"), "--steps", String(N), "--total", String(N));
    await node("--out", join(dir, "first"), "--steps", String(k), "--total", String(N));
    await node("--out", join(dir, "resumed"), "--steps", String(N - k), "--total", String(N), "--from", join(dir, "first"));

    const straight = await readRun(join(dir, "straight"));
    const first = await readRun(join(dir, "first"));
    const resumed = await readRun(join(dir, "resumed"));
    assert.equal(straight.losses.length, N);
    assert.deepEqual([...first.losses, ...resumed.losses], straight.losses);
    assertBitwiseEqual(resumed.dict.tensors.model, straight.dict.tensors.model, "model");
    assertBitwiseEqual(resumed.dict.tensors.optimizer, straight.dict.tensors.optimizer, "optimizer");
    assert.equal(Object.keys(straight.dict.tensors.model).length, 70, "the tiny UNet's 70 parameter tensors");
    assert.equal(Object.keys(straight.dict.tensors.optimizer).length, 140, "AdamW's m and v for each");
    assert.equal(resumed.dict.state.step, N);
    assert.deepEqual(resumed.dict.state.rng, straight.dict.state.rng);
    assert.deepEqual(resumed.dict.state["data"], straight.dict.state["data"]);
    // The resumed run really depended on restored state: the first part alone is not the end state,
    // and the noise generator moved on after the first part (each step draws timesteps and noise).
    assert.notDeepEqual(first.dict.state.rng, straight.dict.state.rng);
    assert.notDeepEqual(first.dict.state["data"], straight.dict.state["data"]);
  });
});
