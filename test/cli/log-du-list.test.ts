/**
 * What `nbresume log`, `du` and `list` say about a finished run: log's rows include each
 * validation metric's best step, du counts the run's files besides its checkpoints, list names
 * the runs in a folder of runs and exits 1 when it shows a FAILED checkpoint.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { parseMetrics } from "../../src/run/metrics-log.js";
import { cli } from "./in-process-cli.js";
import { copyRun, RUN_STEPS, trainRun } from "./trained-run.js";

/** Every regular file under `dir` and the sum of their sizes. */
function filesUnder(dir: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = filesUnder(full);
      count += inner.count;
      bytes += inner.bytes;
    } else {
      count++;
      bytes += statSync(full).size;
    }
  }
  return { count, bytes };
}

describe("nbresume log, du and list on a finished run", function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;

  before(async function () {
    root = mkdtempSync(path.join(tmpdir(), "nbresume-cli-ldl-"));
    dir = path.join(root, "run");
    await trainRun(dir);
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("log's rows include the step of each validation metric's best value, marked, besides the evenly spaced ones", async function () {
    const lines = parseMetrics(readFileSync(path.join(dir, "metrics.jsonl"))).lines;
    const evaluated = lines.filter((l) => typeof l["val_loss"] === "number");
    const bestLoss = evaluated.reduce((a, b) => ((b["val_loss"] as number) < (a["val_loss"] as number) ? b : a));
    const bestAccuracy = evaluated.reduce((a, b) => ((b["val_accuracy"] as number) > (a["val_accuracy"] as number) ? b : a));
    const bestSteps = [bestLoss["step"] as number, bestAccuracy["step"] as number];
    // --rows 2 shows the first and the last step: a best elsewhere is there only because it is a best.
    assert.ok(
      bestSteps.some((s) => s !== 1 && s !== RUN_STEPS),
      `the run's bests are at steps ${bestSteps.join(", ")}`,
    );
    const r = await cli("log", dir, "--rows", "2");
    assert.equal(r.code, 0, r.stderr);
    const rowSteps = r.stdout
      .split("\n")
      .map((l) => /^\s+(\d[\d,]*)\s/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined)
      .map((s) => Number(s.replace(/,/g, "")));
    for (const step of [1, RUN_STEPS, ...bestSteps]) assert.ok(rowSteps.includes(step), `step ${step} among the rows ${rowSteps.join(", ")}`);
    const row = (step: number) => r.stdout.split("\n").find((l) => new RegExp(`^\\s+${step}\\s`).test(l)) ?? "";
    const marks = new Map<number, string[]>();
    marks.set(bestLoss["step"] as number, ["val_loss"]);
    marks.set(bestAccuracy["step"] as number, [...(marks.get(bestAccuracy["step"] as number) ?? []), "val_accuracy"]);
    for (const [step, metrics] of marks) assert.ok(row(step).endsWith(messages.logBest(metrics)), row(step));
  });

  it("du counts the run's other files (pictures, graphs, record) and a total of everything that agrees with the files on disk", async function () {
    const r = await cli("du", dir, "--json");
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as {
      total: { count: number; bytes: number };
      runFiles: { count: number; bytes: number };
      everything: { count: number; bytes: number };
    };
    const onDisk = filesUnder(dir);
    assert.equal(json.everything.bytes, onDisk.bytes, "every file's bytes, counted once");
    assert.equal(json.everything.bytes, json.total.bytes + json.runFiles.bytes);
    const checkpointBytes = readdirSync(dir)
      .filter((n) => n.startsWith("ckpt-"))
      .reduce((s, n) => s + filesUnder(path.join(dir, n)).bytes, 0);
    assert.equal(json.runFiles.bytes, onDisk.bytes - checkpointBytes);
    assert.ok(json.runFiles.bytes >= statSync(path.join(dir, "metrics.jsonl")).size + statSync(path.join(dir, "samples-step-00000050.png")).size);
    // du -sb counts the directories' own entries too (a few KiB each), nothing else.
    const duBytes = Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
    const folders = 1 + readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
    assert.ok(
      duBytes - json.everything.bytes >= 0 && duBytes - json.everything.bytes <= folders * 4096,
      `du -sb ${duBytes}, nbresume ${json.everything.bytes}`,
    );

    const human = await cli("du", dir);
    assert.match(human.stdout, new RegExp(`^  ${messages.duRunFiles().replace(/[()]/g, "\\$&")}\\s+${json.runFiles.count}\\s`, "m"));
    assert.match(human.stdout, new RegExp(`^  ${messages.duEverything().replace(/[()]/g, "\\$&")}\\s+${json.everything.count}\\s`, "m"));
  });

  it("list on a folder of runs names the runs in it", async function () {
    const parent = path.join(root, "runs");
    mkdirSync(parent);
    cpSync(dir, path.join(parent, "a"), { recursive: true });
    cpSync(dir, path.join(parent, "b"), { recursive: true });
    mkdirSync(path.join(parent, "notes"));
    const r = await cli("list", parent);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(messages.holdsRuns(parent, ["a", "b"])), r.stdout);
    assert.deepEqual((JSON.parse((await cli("list", parent, "--json")).stdout) as { runs: string[] }).runs, ["a", "b"]);
    assert.deepEqual((JSON.parse((await cli("list", dir, "--json")).stdout) as { runs: string[] }).runs, []);
  });

  it("list exits 1 when its table shows a FAILED checkpoint, with --verify and when a manifest cannot be read", async function () {
    const copy = copyRun(dir);
    assert.equal((await cli("list", copy, "--verify")).code, 0);
    rmSync(path.join(copy, "ckpt-step-00000100-rolling", "state.json"));
    const verified = await cli("list", copy, "--verify");
    assert.match(verified.stdout, /ckpt-step-00000100-rolling .* FAILED/);
    assert.equal(verified.code, 1, verified.stdout);
    rmSync(path.join(copy, "ckpt-step-00000100-rolling", "manifest.json"));
    const plain = await cli("list", copy);
    assert.match(plain.stdout, /ckpt-step-00000100-rolling .* FAILED/);
    assert.match(plain.stdout, /^1 checkpoint failed verification\.$/m);
    assert.equal(plain.code, 1, plain.stdout);
  });
});
