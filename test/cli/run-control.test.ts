/**
 * The CLI on what resumable() now keeps on disk, with the compiled entry in a child process:
 * `nbresume log` (metrics.jsonl as a table, CSV, JSON, a chart), `nbresume rollback`,
 * `resume-command --ref` / `--set` (the recorded command edited with the run's flags, each change
 * judged), a run from a notebook, and `export --weights` (the EMA by default when kept).
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { quoteCommand } from "../../src/checkpoint/shell-quote.js";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { CliErrorCode, cliMessages as messages } from "../../src/cli/messages.js";
import { decodePng } from "../../src/render/image.js";
import { parseMetrics } from "../../src/run/metrics-log.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { mlpRun } from "../run/mlp-run.js";
import { ensureBuilt, nbresume, nbresumeJson } from "./compiled-cli.js";

const COMMAND = ["node", "train.js", "--dir", "runs/x", "--steps", "120"];
const FLAGS = { resumeFrom: "--resume-from", steps: "--steps", batchSize: "--batch-size", allowConfigChange: "--allow-config-change" };

describe("nbresume log, rollback, resume-command --ref/--set, export --weights (the compiled CLI)", function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;

  before(async function () {
    await ensureBuilt();
    root = mkdtempSync(path.join(tmpdir(), "nbresume-cli-control-"));
    dir = path.join(root, "run");
    const options: Partial<ResumableOptions> = { command: COMMAND, commandFlags: FLAGS, ema: { decay: 0.9 } };
    await (await mlpRun(dir, options)).train();
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("log prints evenly spaced steps, the smoothed loss as bars and how the run ended; --csv and --json give every line", async function () {
    const lines = parseMetrics(readFileSync(path.join(dir, "metrics.jsonl"))).lines;
    const text = await nbresume("log", dir, "--rows", "5");
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${messages.logHeader(dir, 120, 1, 120, 3).replace(/[()]/g, "\\$&")}$`, "m"));
    assert.match(text.stdout, /^\s*STEP\s+EPOCH\s+LOSS\s+SMOOTHED_LOSS\s+LR\s+GRAD_NORM/m);
    assert.match(text.stdout, /^smoothed loss {2}[▁▂▃▄▅▆▇█]{60} {2}[\d.]+ → [\d.]+$/m);
    assert.match(text.stdout, /^last train\(\): finished at step 120 of 120 — trained to step 120 \(summary\.json\)$/m);

    const csv = await nbresume("log", dir, "--csv");
    const rows = csv.stdout.trim().split("\n");
    assert.equal(rows.length, 121);
    assert.equal(rows[0], "step,epoch,loss,smoothed_loss,lr,grad_norm,time,val_loss,val_accuracy");
    assert.equal(rows[40]!.split(",")[0], "40");
    assert.equal(rows[40]!.split(",")[7], String(lines[39]!["val_loss"] as number));

    const { code, json } = await nbresumeJson<{ steps: number; lines: unknown[]; summary: { status: string } }>("log", dir);
    assert.equal(code, 0);
    assert.equal(json.steps, 120);
    assert.deepEqual(json.lines, lines);
    assert.equal(json.summary.status, "finished");

    const png = path.join(root, "chart.png");
    const plotted = await nbresume("log", dir, "--plot", png);
    assert.equal(plotted.code, 0, plotted.stderr);
    assert.ok((await decodePng(readFileSync(png))).width >= 600);

    const none = await nbresume("log", root);
    assert.equal(none.code, 1);
    assert.match(none.stderr, new RegExp(messages.noMetrics(root).replace(/[.()]/g, "\\$&")));
  });

  it("resume-command --ref prints the recorded command with the run's resumeFrom flag; the newest needs none", async function () {
    const plain = await nbresume("resume-command", dir);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout.trim(), quoteCommand(COMMAND));
    const step40 = path.join(dir, "ckpt-step-00000040-rolling");
    const back = await nbresume("resume-command", dir, "--ref", "step:40");
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.trim(), quoteCommand([...COMMAND, "--resume-from", step40]));
    assert.match(back.stderr, /^# resumes from ckpt-step-00000040-rolling \(step 40\)$/m);
  });

  it("resume-command --set shows each change with its verdict, edits the command's flags, adds the override flag, and exits 1 on an unsafe change", async function () {
    const safe = await nbresume("resume-command", dir, "--set", "steps=240");
    assert.equal(safe.code, 0, safe.stderr);
    assert.equal(safe.stdout.trim(), quoteCommand(["node", "train.js", "--dir", "runs/x", "--steps", "240"]));
    assert.match(safe.stderr, /^# steps: 120 → 240 \(safe: the run resumes with it\)$/m);

    const override = await nbresume("resume-command", dir, "--set", "batchSize=64", "steps=240");
    assert.equal(override.code, 0, override.stderr);
    assert.equal(override.stdout.trim(), quoteCommand([...COMMAND.slice(0, 5), "240", "--batch-size", "64", "--allow-config-change"]));
    assert.match(override.stderr, /^# batchSize: 32 → 64 \(needs override: /m);

    const unsafe = await nbresumeJson<{ changes: { path: string; verdict: string }[] }>("resume-command", dir, "--set", "model.hidden=[64]");
    assert.equal(unsafe.code, 1);
    assert.deepEqual(
      unsafe.json.changes.map((c) => [c.path, c.verdict]),
      [["model.hidden[0]", "unsafe"]],
    );
    const said = await nbresume("resume-command", dir, "--set", "model.hidden=[64]");
    assert.match(said.stderr, new RegExp(messages.noFlagFor(["model.hidden"]).replace(/[.()]/g, "\\$&")));
    assert.match(said.stderr, new RegExp(messages.unsafeChanges(1).replace(/[.()]/g, "\\$&")));

    const bad = await nbresume("resume-command", dir, "--set", "no equals");
    assert.equal(bad.code, 2);
  });

  it("resume-command on a run without a resumeFrom flag says its command resumes the newest checkpoint, and what to do instead", async function () {
    const other = path.join(root, "no-flags");
    await (await mlpRun(other, { steps: 80, command: COMMAND })).train();
    const r = await nbresume("resume-command", other, "--ref", "step:40");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), quoteCommand(COMMAND));
    assert.ok(r.stderr.includes(messages.noResumeFlag(path.join(other, "ckpt-step-00000040-rolling"), "ckpt-step-00000080-final", other, "step:40")), r.stderr);
  });

  it("resume-command on a run from a notebook prints `nbresume run NOTEBOOK` and names the notebook", async function () {
    const nb = path.join(root, "notebook-run");
    process.env["NBRESUME_NOTEBOOK"] = "notebooks/train.ipynb";
    try {
      await (await mlpRun(nb, { steps: 80 })).train();
    } finally {
      delete process.env["NBRESUME_NOTEBOOK"];
    }
    const r = await nbresume("resume-command", nb);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "nbresume run notebooks/train.ipynb");
    assert.ok(r.stderr.includes(messages.notebookContinue("notebooks/train.ipynb", null)), r.stderr);
    const withRef = await nbresume("resume-command", nb, "--ref", "step:40", "--set", "steps=160");
    assert.equal(
      withRef.stdout.trim(),
      quoteCommand([
        "nbresume",
        "run",
        "notebooks/train.ipynb",
        "--param",
        `resumeFrom=${path.join(nb, "ckpt-step-00000040-rolling")}`,
        "--param",
        "steps=160",
      ]),
      withRef.stderr,
    );
    assert.ok(withRef.stderr.includes(messages.notebookParams()), withRef.stderr);
  });

  it("rollback moves the checkpoints newer than --ref aside and points latest at it; without --ref it is a usage error", async function () {
    const rb = path.join(root, "rollback");
    await (await mlpRun(rb)).train();
    const r = await nbresumeJson<{ target: { name: string }; moved: string[]; aside: string }>("rollback", rb, "--ref", "step:40");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.target.name, "ckpt-step-00000040-rolling");
    assert.deepEqual(r.json.moved, ["ckpt-step-00000120-final", "ckpt-step-00000080-rolling"]);
    assert.ok(existsSync(path.join(r.json.aside, "ckpt-step-00000080-rolling")));
    assert.equal(readFileSync(path.join(rb, "latest"), "utf8").trim(), "ckpt-step-00000040-rolling");
    assert.deepEqual(
      readdirSync(rb).filter((n) => n.startsWith("ckpt-")),
      ["ckpt-step-00000040-rolling"],
    );
    const missing = await nbresume("rollback", rb);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--ref/);
  });

  it("export uses the EMA weights when the checkpoint has them, the model's with --weights model, and refuses --weights ema without them", async function () {
    const ema = path.join(root, "ema.onnx");
    const r = await nbresumeJson<{ weights: string }>("export", dir, "--out", ema);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.weights, "ema");
    const model = path.join(root, "model.onnx");
    const m = await nbresumeJson<{ weights: string }>("export", dir, "--out", model, "--weights", "model");
    assert.equal(m.json.weights, "model");
    assert.notDeepEqual(readFileSync(ema), readFileSync(model), "the EMA is not the last weights");

    const store = await CheckpointStore.open(dir, { readOnly: true });
    const emaWeights = (await store.load("auto")).tensors["ema"]!;
    await store.close();
    const first = Object.keys(emaWeights)[0]!;
    const bytes = Buffer.from(emaWeights[first]!.data.buffer, emaWeights[first]!.data.byteOffset, emaWeights[first]!.data.byteLength);
    assert.ok(readFileSync(ema).includes(bytes), "the exported initializers are the EMA weights");

    const plain = path.join(root, "plain");
    await (await mlpRun(plain, { steps: 20 })).train();
    const refused = await nbresume("export", plain, "--out", path.join(root, "x.onnx"), "--weights", "ema");
    assert.equal(refused.code, 1);
    assert.ok(refused.stderr.includes(messages.exportNoEma(path.join(plain, "ckpt-step-00000020-final"))), refused.stderr);
    assert.equal(CliErrorCode.EXPORT_UNSUPPORTED, "CLI_EXPORT_UNSUPPORTED");
  });
});
