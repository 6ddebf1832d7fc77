/**
 * Where a run starts (resume-plan.ts), in real runs of the small MNIST classifier: each resumeFrom
 * value, going back to an older checkpoint (the newer ones moved aside, never deleted, and `list`
 * of the folder shows them), a rerun of the same request continuing what it started, and
 * onExisting (fresh, error, ask).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { isNbresumeError } from "../../src/errors.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import { parseMetrics } from "../../src/run/metrics-log.js";
import { statSize } from "./checkpoint-size.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

const VAL_LOSS = { name: "val_loss", mode: "min" } as const;

async function listed(dir: string): Promise<string[]> {
  const store = await CheckpointStore.open(dir, { readOnly: true });
  try {
    return (await store.list()).checkpoints.map((c) => c.name);
  } finally {
    await store.close();
  }
}

function asideFolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.startsWith("rolled-back-"))
    .sort();
}

function metricSteps(dir: string): number[] {
  return parseMetrics(readFileSync(join(dir, "metrics.jsonl"))).lines.map((l) => l.step as number);
}

describe("resumable(): where a run starts (resumeFrom, onExisting)", function () {
  this.timeout(120_000);
  let root: string;

  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-plan-"));
  });

  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it('resumeFrom "step:N" goes back to that step: the newer checkpoints move aside (listed there), training from it ends bitwise where the first run ended, and a rerun continues instead of going back again', async function () {
    const dir = join(root, "step");
    const first = await (await mlpRun(dir)).train();
    assert.equal(first.checkpoint?.name, "ckpt-step-00000120-final");
    const bytes = statSize(join(dir, "ckpt-step-00000080-rolling")) + statSize(join(dir, "ckpt-step-00000120-final"));

    const out = new RecordingOutput();
    const back = await (await mlpRun(dir, { resumeFrom: "step:40", output: out })).train();
    assert.equal(back.status, "finished");
    assert.equal(back.startStep, 40);
    assert.equal(back.resumedFrom?.name, "ckpt-step-00000040-rolling");
    const [folder] = asideFolders(dir);
    assert.ok(folder !== undefined, "a rolled-back folder");
    assert.ok(out.texts("info").includes(msg.setAsideNewer("ckpt-step-00000040-rolling", 40, 2, bytes, join(dir, folder))), out.texts("info").join("\n"));
    // Not deleted: the folder is a run directory of its own that the store lists.
    assert.deepEqual(await listed(join(dir, folder)), ["ckpt-step-00000080-rolling", "ckpt-step-00000120-final"]);
    assert.ok(existsSync(join(dir, folder, "samples-step-00000080.png")), "their sample grids went with them");
    // Training from step 40 again is the same training: the same final weights.
    await assertSameModel(join(dir, folder, "ckpt-step-00000120-final"), back.checkpoint!.path);
    assert.deepEqual(
      metricSteps(dir),
      Array.from({ length: 120 }, (_, i) => i + 1),
      "metrics.jsonl: every step once, in order",
    );
    assert.equal(metricSteps(join(dir, folder)).length, 120, "the folder keeps the record of the line it holds");

    // The same cell rerun: it continues what resumeFrom started (here: already finished), it does not go back again.
    const again = new RecordingOutput();
    const rerun = await (await mlpRun(dir, { resumeFrom: "step:40", output: again })).train();
    assert.equal(rerun.status, "already-finished");
    assert.ok(
      again.texts("info").includes(msg.continuingLine("resumeFrom: step:40", "ckpt-step-00000040-rolling", 40, "ckpt-step-00000120-final")),
      again.texts("info").join("\n"),
    );
    assert.equal(asideFolders(dir).length, 1, "nothing more moved aside");
  });

  it('resumeFrom "best" and "best-previous" resume the checkpoints the metric ranks first and second; "latest" the one `latest` names', async function () {
    const dir = join(root, "best");
    await (await mlpRun(dir)).train();
    const store = await CheckpointStore.open(dir, { readOnly: true, bestMetric: VAL_LOSS });
    const best = (await store.resolve("best"))!;
    const previous = (await store.resolve("best-previous"))!;
    await store.close();

    const latest = await (await mlpRun(join(root, "best"), { resumeFrom: "latest", steps: 160 })).train();
    assert.equal(latest.resumedFrom?.name, "ckpt-step-00000120-final");
    assert.equal(asideFolders(dir).length, 0, "the newest: nothing to move aside");

    const dirB = join(root, "best-b");
    await (await mlpRun(dirB)).train();
    const r = await (await mlpRun(dirB, { resumeFrom: "best", steps: 160 })).train();
    assert.equal(r.resumedFrom?.name, best.name);
    assert.equal(r.startStep, best.step);
    assert.equal(r.step, 160);

    const dirP = join(root, "best-p");
    await (await mlpRun(dirP)).train();
    const p = await (await mlpRun(dirP, { resumeFrom: "best-previous", steps: 160 })).train();
    assert.equal(p.resumedFrom?.name, previous.name);
    assert.equal(p.startStep, previous.step);
  });

  it("resumeFrom a checkpoint directory (here one moved aside) resumes it, moving aside what is at its step or later", async function () {
    const dir = join(root, "path");
    await (await mlpRun(dir)).train();
    await (await mlpRun(dir, { resumeFrom: "step:40" })).train();
    const [folder] = asideFolders(dir);
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { resumeFrom: join(dir, folder!, "ckpt-step-00000080-rolling"), output: out })).train();
    assert.equal(r.startStep, 80);
    assert.equal(r.resumedFrom?.path, join(dir, folder!, "ckpt-step-00000080-rolling"));
    assert.equal(asideFolders(dir).length, 2, "the line it replaced (80, 120) went aside too");
    assert.deepEqual(await listed(dir), ["ckpt-step-00000040-rolling", "ckpt-step-00000120-final"]);
    await assertSameModel(join(dir, folder!, "ckpt-step-00000120-final"), r.checkpoint!.path);
  });

  it('resumeFrom "none" and onExisting "fresh" move every checkpoint aside and start from scratch; rerunning continues the new run', async function () {
    const dir = join(root, "fresh");
    await (await mlpRun(dir, { steps: 80 })).train();
    const before = await listed(dir);
    const out = new RecordingOutput();
    const controller = new AbortController();
    const stopper = new RecordingOutput(false, (v) => v.snapshot.step >= 20 && controller.abort());
    // Long enough that a progress redraw (every 250 ms) lands mid-run however fast the machine is.
    const long = { steps: 3000, checkpointEvery: 10_000, evalEvery: false } as const;
    const fresh = await (await mlpRun(dir, { ...long, onExisting: "fresh", output: stopper })).train({ signal: controller.signal });
    assert.equal(fresh.startStep, 0);
    assert.equal(fresh.status, "interrupted");
    const [folder] = asideFolders(dir);
    assert.deepEqual(await listed(join(dir, folder!)), before);
    assert.ok(
      stopper.texts("info").some((t) => t.startsWith(`${msg.freshChosen()}: moved 2 checkpoints`)),
      stopper.texts("info").join("\n"),
    );
    assert.ok(
      existsSync(join(dir, folder!, "metrics.jsonl")) && existsSync(join(dir, folder!, "preview-step-00000000.png")),
      "the old run's record and pictures went too",
    );

    const rerun = await (await mlpRun(dir, { ...long, onExisting: "fresh", output: out })).train();
    assert.equal(rerun.startStep, fresh.step, "the rerun continues the fresh run instead of starting over again");
    assert.ok(
      out.texts("info").some((t) => t.startsWith("fresh started this run from scratch")),
      out.texts("info").join("\n"),
    );
    assert.equal(asideFolders(dir).length, 1);
    assert.equal(rerun.step, 3000);
    assert.deepEqual(
      metricSteps(dir),
      Array.from({ length: 3000 }, (_, i) => i + 1),
    );

    const none = new RecordingOutput();
    const n = await (await mlpRun(dir, { steps: 40, resumeFrom: "none", output: none })).train();
    assert.equal(n.startStep, 0);
    assert.equal(asideFolders(dir).length, 2);
    assert.ok(none.texts("info").some((t) => t.startsWith(`${msg.noneChosen()}: moved`)));
  });

  it('onExisting "error" refuses another run\'s checkpoints, naming the changes, and resumes the same run', async function () {
    const dir = join(root, "error");
    await (await mlpRun(dir, { steps: 40 })).train();
    await assert.rejects(
      (await mlpRun(dir, { steps: 80, onExisting: "error", schedule: constantLr(1e-3) })).train(),
      (e: unknown) => isNbresumeError(e, RunErrorCode.DIR_HAS_RUN) && /schedule\.name/.test(e.message) && /onExisting: "resume"/.test(e.message),
    );
    const same = await (await mlpRun(dir, { steps: 80, onExisting: "error" })).train();
    assert.equal(same.startStep, 40, "steps changed only: the same run, resumed");
  });

  it('onExisting "ask" asks where it can (yes resumes, no starts over) and, where it cannot, shows the choice and stops', async function () {
    const dir = join(root, "ask");
    await (await mlpRun(dir, { steps: 40 })).train();
    const questions: string[] = [];
    const answering = (answer: boolean | undefined): RecordingOutput =>
      Object.assign(new RecordingOutput(), {
        ask: async (q: string) => {
          questions.push(q);
          return answer;
        },
      });
    const yes = await (await mlpRun(dir, { steps: 80, onExisting: "ask", output: answering(true) })).train();
    assert.equal(yes.startStep, 40);
    assert.equal(questions[0], msg.askQuestion(dir, 1, "ckpt-step-00000040-final", 40));
    await assert.rejects(
      (await mlpRun(dir, { steps: 120, onExisting: "ask", output: answering(undefined) })).train(),
      (e: unknown) => isNbresumeError(e, RunErrorCode.NEEDS_ANSWER) && e.message === msg.cannotAsk("no-terminal"),
    );
    const no = await (await mlpRun(dir, { steps: 40, onExisting: "ask", output: answering(false) })).train();
    assert.equal(no.startStep, 0);
    assert.equal(asideFolders(dir).length, 1);

    // A notebook cell cannot ask: a changed config shows the choices and stops; the same config resumes.
    const cell = new RecordingOutput(true);
    await assert.rejects(
      (await mlpRun(dir, { steps: 40, onExisting: "ask", schedule: constantLr(1e-3), output: cell })).train(),
      (e: unknown) => isNbresumeError(e, RunErrorCode.NEEDS_ANSWER) && e.message === msg.cannotAsk("notebook"),
    );
    assert.ok(
      cell
        .texts("table")
        .some((t) => t.startsWith(msg.askTitle(dir, 1, "ckpt-step-00000040-final", 40)) && t.includes('onExisting: "fresh" = move the checkpoints')),
      cell.texts("table").join("\n---\n"),
    );
    const same = await (await mlpRun(dir, { steps: 80, onExisting: "ask", output: new RecordingOutput(true) })).train();
    assert.equal(same.startStep, 40);
  });
});
