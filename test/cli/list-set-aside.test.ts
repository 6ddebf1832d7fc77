/**
 * `nbresume list DIR` ends with one line on the rolled-back-… folders in DIR — what a roll-back and
 * a fresh start (onExisting: "fresh") set aside, which the listing does not show and retention
 * never prunes: that they exist, their size, and a command that removes them (run here, it does).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { rollBack } from "../../src/run/roll-back.js";
import { formatBytes } from "../../src/shared/format.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { mlpRun } from "../run/mlp-run.js";
import { cli } from "./in-process-cli.js";

interface SetAsideJson {
  setAside: { count: number; bytes: number; names: string[] };
}

/** The bytes of every file under `dir` (a set-aside folder holds checkpoints, their grids and a copy of the run's record). */
async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    bytes += entry.isDirectory() ? await folderBytes(full) : (await fsp.stat(full)).size;
  }
  return bytes;
}

/** The command after "to free the space: " in the set-aside line. */
function removeCommand(line: string): string {
  return line.slice(line.indexOf("to free the space: ") + "to free the space: ".length);
}

describe("nbresume list: the rolled-back-… folders a roll-back or a fresh start left in DIR", function () {
  this.timeout(120_000);
  let root: string;
  let dir: string;

  before(async function () {
    root = await makeTempDir("cli-set-aside");
    dir = path.join(root, "my run"); // a space, so the printed command must quote it
    await (await mlpRun(dir, { steps: 40, checkpointEvery: 20, evalEvery: 20 })).train();
  });

  after(async () => {
    await removeDir(root);
  });

  it("says nothing about them while there are none", async () => {
    const { code, stdout } = await cli("list", dir);
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /rolled-back|Set aside/);
    assert.deepEqual((JSON.parse((await cli("list", dir, "--json")).stdout) as SetAsideJson).setAside, { count: 0, bytes: 0, names: [] });
  });

  it("names the one folder a roll-back made, with its size and the command that removes it", async () => {
    const rolled = await rollBack(dir, "step:20");
    assert.ok(rolled.aside !== undefined && rolled.moved.length > 0);
    const folder = path.basename(rolled.aside);
    const bytes = await folderBytes(rolled.aside);
    assert.ok(bytes > rolled.bytes, "the sample grids and the record went with the checkpoints");
    const { code, stdout } = await cli("list", dir);
    assert.equal(code, 0);
    const line = stdout.split("\n").find((l) => l.startsWith("Set aside: "));
    const remove = `rm -r '${dir}'/rolled-back-*`;
    assert.equal(line, messages.listSetAside(1, formatBytes(bytes), [folder], remove));
    assert.ok(line.includes(folder) && line.includes(formatBytes(bytes)), line);
    assert.doesNotMatch(
      stdout
        .split("\n")
        .filter((l) => l.includes("ckpt-step-00000040"))
        .join("\n"),
      /\S/,
      "the checkpoints in it are not listed as the run's",
    );
    const { setAside } = JSON.parse((await cli("list", dir, "--json")).stdout) as SetAsideJson;
    assert.deepEqual(setAside, { count: 1, bytes, names: [folder] });
  });

  it("counts the folders of a roll-back and a fresh start together, and its command removes both and nothing else", async () => {
    await (await mlpRun(dir, { steps: 20, checkpointEvery: 20, evalEvery: 20, onExisting: "fresh" })).train();
    const store = await CheckpointStore.open(dir, { readOnly: true });
    const du = await store.du();
    await store.close();
    assert.equal(du.setAside.count, 2, du.setAside.names.join(", "));
    const { stdout } = await cli("list", dir);
    const line = stdout.split("\n").find((l) => l.startsWith("Set aside: "));
    assert.equal(line, messages.listSetAside(2, formatBytes(du.setAside.bytes), du.setAside.names, `rm -r '${dir}'/rolled-back-*`));
    assert.match(line, /^Set aside: 2 rolled-back-… folders, /);

    const before = (JSON.parse((await cli("list", dir, "--json")).stdout) as { checkpoints: { name: string }[] }).checkpoints.map((c) => c.name);
    execFileSync("sh", ["-c", removeCommand(line)]);
    assert.deepEqual(
      (await fsp.readdir(dir)).filter((n) => n.startsWith("rolled-back-")),
      [],
    );
    const after = await cli("list", dir);
    assert.doesNotMatch(after.stdout, /Set aside/);
    assert.deepEqual(
      (JSON.parse((await cli("list", dir, "--json")).stdout) as { checkpoints: { name: string }[] }).checkpoints.map((c) => c.name),
      before,
      "the run's checkpoints stay",
    );
  });
});
