/**
 * `nbresume resume-command --set`: repeatable as `run --param` is; a command only when it works —
 * none on stdout for an unsafe change, none for a key the run does not record (the close match
 * named), and for a notebook run `nbresume run NOTEBOOK --param name=value` with parameters its
 * parameters cell declares (a dotted config key is refused, saying what to do instead).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { quoteCommand } from "../../src/checkpoint/shell-quote.js";
import { optionValues, parseArgs } from "../../src/cli/args.js";
import { runCommand } from "../../src/cli/commands/run.js";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { readNotebook } from "../../src/supervisor/notebook-file.js";
import { injectParameters, parseParameter } from "../../src/supervisor/parameters.js";
import { mlpRun } from "../run/mlp-run.js";
import { cli } from "./in-process-cli.js";

const COMMAND = ["node", "train.js", "--dir", "runs/x", "--steps", "80"];
const FLAGS = { resumeFrom: "--resume-from", steps: "--steps", batchSize: "--batch-size", allowConfigChange: "--allow-config-change" };

/** A notebook whose parameters cell declares `declared` (let) and `name` (const). */
function writeNotebook(file: string, declared: string): void {
  const cells = [
    { cell_type: "code", metadata: { tags: ["parameters"] }, source: `${declared}\nconst name = "mlp";`, outputs: [], execution_count: null },
    { cell_type: "code", metadata: {}, source: "// the training cell", outputs: [], execution_count: null },
  ];
  writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
}

/** A short run recorded as started from `notebook`. */
async function notebookRun(dir: string, notebook: string): Promise<void> {
  process.env["NBRESUME_NOTEBOOK"] = notebook;
  try {
    await (await mlpRun(dir, { steps: 80 })).train();
  } finally {
    delete process.env["NBRESUME_NOTEBOOK"];
  }
}

/** What `nbresume run` makes of a printed `nbresume run NOTEBOOK …` line: the notebook with its parameters injected (throws if it would refuse them). */
function runAccepts(line: string): string[] {
  const argv = line.split(" ");
  assert.deepEqual(argv.slice(0, 2), ["nbresume", "run"]);
  const parsed = parseArgs(argv.slice(2), runCommand.options, "run");
  const params = [...optionValues(parsed.options, "param"), ...parsed.positionals.slice(1)].map(parseParameter);
  injectParameters(readNotebook(parsed.positionals[0]!), params, parsed.positionals[0]!);
  return params.map((p) => p.name);
}

describe("nbresume resume-command --set", function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;

  before(async function () {
    root = mkdtempSync(path.join(tmpdir(), "nbresume-cli-set-"));
    dir = path.join(root, "run");
    await (await mlpRun(dir, { steps: 80, command: COMMAND, commandFlags: FLAGS })).train();
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("takes --set more than once, as run --param, each setting through the command's flag", async function () {
    const r = await cli("resume-command", dir, "--set", "steps=240", "--set", "batchSize=64");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), quoteCommand([...COMMAND.slice(0, 5), "240", "--batch-size", "64", "--allow-config-change"]));
  });

  it("prints no command on stdout when a change is unsafe, and exits 1 saying why", async function () {
    const r = await cli("resume-command", dir, "--set", "steps=600", "model.hidden=[64]");
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(r.stderr.includes(messages.unsafeChanges(1)), r.stderr);
    const json = await cli("resume-command", dir, "--set", "model.hidden=[64]", "--json");
    assert.equal(json.code, 1);
    const doc = JSON.parse(json.stdout) as { command: string | null; argv: string[] | null };
    assert.equal(doc.command, null);
    assert.equal(doc.argv, null);
  });

  it("refuses a key the run does not record, naming the close match, and prints no command", async function () {
    const r = await cli("resume-command", dir, "--set", "stpes=600");
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^nbresume: --set stpes: the run records no setting stpes .* Did you mean 'steps'\?/m);
    assert.ok(r.stderr.includes(messages.unknownSetting("stpes", ["steps"])), r.stderr);
    const nested = await cli("resume-command", dir, "--set", "schedule.lrr=0.001");
    assert.equal(nested.code, 2);
    assert.match(nested.stderr, /Did you mean 'schedule\.lr'\?/);
  });

  describe("on a run from a notebook", function () {
    let notebook: string;
    let nbRun: string;

    before(async function () {
      notebook = path.join(root, "train.ipynb");
      writeNotebook(notebook, "let steps = 80;\nlet lr = 3e-3;");
      nbRun = path.join(root, "notebook-run");
      await notebookRun(nbRun, notebook);
    });

    it("prints `nbresume run NOTEBOOK --param name=value …` that nbresume run accepts", async function () {
      const r = await cli("resume-command", nbRun, "--set", "steps=160", "--set", "lr=0.001");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), quoteCommand(["nbresume", "run", notebook, "--param", "steps=160", "--param", "lr=0.001"]));
      assert.deepEqual(runAccepts(r.stdout.trim()), ["steps", "lr"]);
      assert.match(r.stderr, /^# steps: 80 → 160 \(safe: /m);
    });

    it("refuses a dotted config key, which nbresume run cannot set, saying to change it in the notebook (close parameter named)", async function () {
      const r = await cli("resume-command", nbRun, "--set", "schedule.lr=0.001");
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.ok(r.stderr.includes(messages.settingNotParameter("schedule.lr", notebook, ["steps", "lr"])), r.stderr);
      assert.match(r.stderr, /Did you mean 'lr'\?/);
    });

    it("refuses a name its parameters cell does not declare (or declares const), naming the ones it does", async function () {
      for (const key of ["stpes", "name"]) {
        const r = await cli("resume-command", nbRun, "--set", `${key}=600`);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.ok(r.stderr.includes(messages.notADeclaredParameter(key, notebook, ["steps", "lr"])), r.stderr);
      }
    });

    it("resumes an older checkpoint through a resumeFrom parameter, and says to roll back when the notebook has none", async function () {
      const step40 = path.join(nbRun, "ckpt-step-00000040-rolling");
      const refused = await cli("resume-command", nbRun, "--ref", "step:40");
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(refused.stdout, "");
      assert.ok(refused.stderr.includes(messages.notebookNoResumeFrom(notebook, step40, nbRun, "step:40")), refused.stderr);

      writeNotebook(notebook, 'let steps = 80;\nlet lr = 3e-3;\nlet resumeFrom = "auto";');
      const r = await cli("resume-command", nbRun, "--ref", "step:40");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), quoteCommand(["nbresume", "run", notebook, "--param", `resumeFrom=${step40}`]));
      assert.deepEqual(runAccepts(r.stdout.trim()), ["resumeFrom"]);
    });

    it("passes again the parameters `nbresume run --param` gave the run (recorded in its checkpoints), with the changes over them", async function () {
      const given = path.join(root, "given-run");
      const parameters = Symbol.for("nbresume.parameters");
      (globalThis as Record<symbol, unknown>)[parameters] = { lr: 0.002, dir: given, steps: 80 };
      try {
        await notebookRun(given, notebook);
      } finally {
        delete (globalThis as Record<symbol, unknown>)[parameters];
      }
      const r = await cli("resume-command", given, "--set", "steps=160");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), quoteCommand(["nbresume", "run", notebook, "--param", "lr=0.002", "--param", `dir=${given}`, "--param", "steps=160"]));
    });
  });
});
