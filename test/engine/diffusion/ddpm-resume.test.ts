import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertExactResume, trainStraightAndSplit } from "../../support/exact-resume.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "ddpm-run.ts");

describe("diffusion: exact resume of DDPM training across processes", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "nbresume-ddpm-resume-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("N steps straight equal k steps → state dict on disk → a new process → N−k steps: every tensor bitwise, the losses, the generator and the data cursor", async function () {
    this.timeout(300_000);
    const N = 12;
    const runs = await trainStraightAndSplit(FIXTURE, dir, N, 5);
    assertExactResume(runs, N);
    assert.equal(Object.keys(runs.straight.dict.tensors.model).length, 70, "the tiny UNet's 70 parameter tensors");
    assert.equal(Object.keys(runs.straight.dict.tensors.optimizer).length, 140, "AdamW's m and v for each");
    // Besides the generator (each step draws timesteps and noise), the data cursor moved on after the first part.
    assert.notDeepEqual(runs.first.dict.state["data"], runs.straight.dict.state["data"]);
  });
});
