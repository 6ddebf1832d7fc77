/**
 * A --ref that names nothing is said the same way by every command that takes one, and
 * `nbresume rollback` sets aside what a run going back sets aside: the checkpoints, their sample
 * grids and a copy of the run's record.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { cli } from "./in-process-cli.js";
import { copyRun, trainRun } from "./trained-run.js";

describe("nbresume refs that name nothing, and rollback's record", function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;

  before(async function () {
    root = mkdtempSync(path.join(tmpdir(), "nbresume-cli-refs-"));
    dir = path.join(root, "run");
    await trainRun(dir);
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  for (const ref of ["bset", "ckpt-step-00000999-rolling"]) {
    it(`says no checkpoint matches --ref ${ref} in every command, never a damaged checkpoint at a path`, async function () {
      const config = path.join(root, "config.json");
      writeFileSync(config, "{}");
      const copy = copyRun(dir);
      const runs: [string, string, Awaited<ReturnType<typeof cli>>][] = [
        ["inspect", dir, await cli("inspect", dir, "--ref", ref)],
        ["verify", dir, await cli("verify", dir, "--ref", ref)],
        ["export", dir, await cli("export", dir, "--ref", ref, "--out", path.join(root, "x.onnx"))],
        ["diff", dir, await cli("diff", dir, "--ref", ref, "--config", config)],
        ["resume-command", dir, await cli("resume-command", dir, "--ref", ref)],
        ["rollback", copy, await cli("rollback", copy, "--ref", ref)],
      ];
      for (const [command, root, r] of runs) {
        assert.equal(r.code, 1, `${command}: ${r.stderr}`);
        assert.equal(
          r.stderr.split("\n").find((l) => l.startsWith("error: ")),
          messages.error(messages.refNamesNothing(ref, root)),
          `${command}: ${r.stderr}`,
        );
        assert.ok(r.stderr.includes(messages.hint(messages.hintFor("CHECKPOINT_NOT_FOUND")!)), `${command}: ${r.stderr}`);
        assert.doesNotMatch(r.stdout, /FAILED/, command);
      }
    });
  }

  it("still shows a checkpoint that exists but is damaged as a verify failure", async function () {
    const copy = copyRun(dir);
    rmSync(path.join(copy, "ckpt-step-00000100-rolling", "state.json"));
    const r = await cli("inspect", copy, "--ref", "ckpt-step-00000100-rolling");
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /verified: FAILED/);
    assert.match(r.stdout, /state\.json/);
  });

  it("rollback moves the newer checkpoints with their sample grids and leaves a copy of the run's record beside them", async function () {
    const copy = copyRun(dir);
    const r = await cli("rollback", copy, "--ref", "step:150");
    assert.equal(r.code, 0, r.stderr);
    const folders = readdirSync(copy).filter((n) => n.startsWith("rolled-back-"));
    assert.equal(folders.length, 1);
    const aside = path.join(copy, folders[0]!);
    const moved = readdirSync(aside);
    for (const step of ["200", "250", "300"]) {
      assert.ok(
        moved.some((n) => n === `samples-step-00000${step}.png`),
        `samples of step ${step} set aside: ${moved.join(", ")}`,
      );
      assert.ok(!existsSync(path.join(copy, `samples-step-00000${step}.png`)), `samples of step ${step} left in the run`);
    }
    for (const step of ["050", "100", "150"]) assert.ok(existsSync(path.join(copy, `samples-step-00000${step}.png`)), `samples of step ${step} kept`);
    for (const file of ["metrics.jsonl", "loss.png", "summary.json"]) {
      assert.deepEqual(readFileSync(path.join(aside, file)), readFileSync(path.join(dir, file)), `${file} copied`);
      assert.ok(existsSync(path.join(copy, file)), `${file} still in the run`);
    }
    assert.equal(readFileSync(path.join(aside, "latest"), "utf8").trim(), "ckpt-step-00000300-final");
    assert.equal(readFileSync(path.join(copy, "latest"), "utf8").trim(), "ckpt-step-00000150-rolling");
  });
});
