/**
 * `nbresume prune`: deleting a checkpoint deletes the sample grids saved with it (as the run does
 * when it prunes), and a --metric no checkpoint records is refused before anything is deleted.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { formatBytes } from "../../src/shared/format.js";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { listRunPictures } from "../../src/run/run-files.js";
import { cli } from "./in-process-cli.js";
import { copyRun, trainRun } from "./trained-run.js";

describe("nbresume prune: sample grids and the metric", function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;

  before(async function () {
    root = mkdtempSync(path.join(tmpdir(), "nbresume-cli-prune-"));
    dir = path.join(root, "run");
    await trainRun(dir);
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("deletes the sample grids of the checkpoints it deletes, keeps the others' and the previews, and says so (the dry run says it would)", async function () {
    const copy = copyRun(dir);
    const before = await listRunPictures(copy);
    const dropped = before.filter((p) => p.kind === "samples" && (p.step === 50 || p.step === 100));
    assert.equal(dropped.length, 2, before.map((p) => p.name).join(", "));
    const size = formatBytes(dropped.reduce((s, p) => s + p.bytes, 0));

    const dry = await cli("prune", copy, "--keep-rolling", "2");
    assert.equal(dry.code, 0, dry.stderr);
    assert.ok(dry.stdout.includes(messages.pruneGrids(false, 2, size)), dry.stdout);
    assert.equal((await listRunPictures(copy)).length, before.length, "a dry run deletes nothing");

    const r = await cli("prune", copy, "--keep-rolling", "2", "--yes");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(messages.pruneGrids(true, 2, size)), r.stdout);
    const after = (await listRunPictures(copy)).map((p) => p.name);
    assert.deepEqual(
      after,
      before.filter((p) => !dropped.includes(p)).map((p) => p.name),
    );
    assert.ok(after.includes("preview-step-00000000.png"), "the preview stays");
    assert.ok(!readdirSync(copy).includes("ckpt-step-00000050-rolling"));
  });

  it("refuses a --metric no checkpoint records, naming the ones they do and the close match, and deletes nothing", async function () {
    const copy = copyRun(dir);
    const listed = readdirSync(copy);
    const r = await cli("prune", copy, "--metric", "val_acc:max", "--keep-best", "1", "--keep-rolling", "0", "--yes");
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(r.stderr.includes(messages.metricNotRecorded("val_acc", copy, ["loss", "val_loss", "val_accuracy"])), r.stderr);
    assert.match(r.stderr, /Did you mean 'val_accuracy'\?/);
    assert.deepEqual(readdirSync(copy), listed);
  });
});
