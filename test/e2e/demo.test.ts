/**
 * The MNIST diffusion demo end to end, as a user runs it: the compiled entry (what `npm run demo`
 * runs) in child processes on one directory — resumed by a second run, stopped by real SIGINT,
 * SIGTERM and SIGHUP (and by two and three SIGINTs in a row), killed by SIGKILL while a background
 * save is written, rerun on hostile and read-only directories — against an uninterrupted run of
 * the same configuration. Small settings (batch 4, 2 DDIM steps, 4 samples would be too few to
 * look at, but the pipeline is the same).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  watch,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { checkpointMessages as storeMessages } from "../../src/checkpoint/messages.js";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { signalNotices } from "../../src/notebook/signal-hub.js";
import { forgeManifest } from "../checkpoint/forge-manifest.js";
import { makeCanary } from "../checkpoint/temp-dirs.js";
import { canMount, mountTmpfs, remountReadOnly, unmount } from "../checkpoint/tmpfs.js";
import { runMessages as msg } from "../../src/run/messages.js";
import { decodePng } from "../../src/render/image.js";
import { REPO_ROOT } from "../support/jupyter-server.js";
import { assertSameModel } from "../run/same-model.js";
import { parseMetrics } from "../../src/run/metrics-log.js";

const CLI_ENTRY = join(REPO_ROOT, "dist", "cli", "main.js");

const ENTRY = join(REPO_ROOT, "dist", "demo", "main.js");
/** The tiny preset at batch 4 with 2 DDIM steps per grid: seconds per run. */
function small(checkpointEvery = 2): string[] {
  return ["--preset", "tiny", "--batch-size", "4", "--sampler-steps", "2", "--checkpoint-every", String(checkpointEvery)];
}

interface DemoRun {
  readonly stdout: () => string;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

function demo(args: readonly string[]): DemoRun {
  const child = spawn(process.execPath, [ENTRY, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    stdout: () => stdout,
    done,
    kill: (signal) => child.kill(signal),
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the demo never printed ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await sleep(25);
      }
    },
  };
}

async function finished(args: readonly string[]): Promise<string> {
  const r = await demo(args).done;
  assert.equal(r.code, 0, `demo ${args.join(" ")} exited ${r.code ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe("npm run demo (the compiled demo entry)", function () {
  this.timeout(180_000);
  let root: string;

  before(function () {
    assert.ok(existsSync(ENTRY), `${ENTRY} is missing: run \`npm run build\` (npm test does) first`);
    assert.ok(statSync(ENTRY).mtimeMs >= statSync(join(REPO_ROOT, "src", "demo", "demo.ts")).mtimeMs, "dist/ is older than src/demo: run `npm run build`");
    root = mkdtempSync(join(tmpdir(), "nbresume-demo-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("resumes on a second run over the same directory and ends bitwise where one uninterrupted run ends", async function () {
    const dir = join(root, "twice");
    const first = await finished(["--dir", dir, "--steps", "3", ...small()]);
    assert.match(first, new RegExp(`^${escape(msg.startingFromScratch(dir))}$`, "m"));
    assert.match(first, /Finished at step 3 /);
    assert.match(first, new RegExp(`^${escape(msg.outputsAt(dir, "samples-step-*", "preview-step-*"))}$`, "m"), "it says where the outputs are");

    const second = await finished(["--dir", dir, "--steps", "6", ...small()]);
    assert.match(second, /^Found ckpt-step-00000003-final: step 3 · epoch 0 · loss [\d.]+ · final checkpoint, verified\.$/m);
    assert.match(second, /^steps\s+3 → 6 \(allowed\)$/m, "the changed step count is shown as a harmless change");
    assert.match(second, new RegExp(`^${escape(msg.resumed(3, 6, 0, 3))}$`, "m"));
    assert.match(second, /Finished at step 6 /);

    const whole = join(root, "whole");
    await finished(["--dir", whole, "--steps", "6", ...small()]);
    await assertSameModel(join(whole, "ckpt-step-00000006-final"), join(dir, "ckpt-step-00000006-final"));

    const names = readdirSync(dir);
    for (const n of ["preview-step-00000000.png", "preview-step-00000003.png", "samples-step-00000002.png", "samples-step-00000006.png"])
      assert.ok(names.includes(n), `${n} missing: ${names.join(", ")}`);
    const grid = await decodePng(readFileSync(join(dir, "samples-step-00000006.png")));
    assert.ok(grid.width >= 300 && grid.height >= 300, `${grid.width}×${grid.height}: a 4×4 grid of 84 px digits`);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`stops on ${signal} with an emergency checkpoint, dies of the signal, and the next run continues from it`, async function () {
      const dir = join(root, signal);
      const running = demo(["--dir", dir, "--steps", "100000", ...small(1000)]);
      await running.waitFor(/^Training 100,000 steps\.$/m);
      await sleep(1500);
      running.kill(signal);
      const r = await running.done;
      assert.equal(r.signal, signal, `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
      const stopped = /^interrupted at step (\d+) — emergency checkpoint saved — rerun the cell to resume$/m.exec(r.stdout);
      assert.ok(stopped !== null, r.stdout);
      const step = Number(stopped[1]);
      assert.ok(step > 0);
      const store = await CheckpointStore.open(dir, { readOnly: true });
      try {
        const hit = await store.resolve("auto");
        assert.equal(hit?.name, `ckpt-step-${String(step).padStart(8, "0")}-emergency`);
        assert.equal((await store.verify(hit.path)).ok, true);
        assert.deepEqual((await store.resumeCommand(hit.path)).argv?.slice(0, 6), ["npm", "run", "demo", "--", "--dir", dir]);
      } finally {
        await store.close();
      }
      const next = await finished(["--dir", dir, "--steps", String(step + 2), ...small(1000)]);
      assert.match(next, new RegExp(`^Resuming at step ${step.toLocaleString("en-US")} of `, "m"));
      assert.match(next, new RegExp(`Finished at step ${(step + 2).toLocaleString("en-US")} `));
    });
  }

  it("resumes from the newest committed checkpoint after a SIGKILL while a background save is being written", async function () {
    // Killed the moment the writer thread creates the temp directory of this run's second save
    // (inotify), again until a kill lands before that save's commit; each next run is the rerun.
    const dir = join(root, "SIGKILL");
    mkdirSync(dir);
    let expected: { name: string; step: number } | undefined;
    let landedMidSave: string | undefined;
    let runs = 0;
    while (runs < 6 && landedMidSave === undefined) {
      runs++;
      const running = demo(["--dir", dir, "--steps", "100000", ...small(3)]);
      const saves: string[] = [];
      let inFlight!: (name: string) => void;
      const killed = new Promise<string>((resolve) => (inFlight = resolve));
      const watcher = watch(dir, (_event, name) => {
        if (typeof name !== "string" || !name.startsWith(".tmp-ckpt-step-") || saves.includes(name)) return;
        saves.push(name);
        if (saves.length === 2) {
          running.kill("SIGKILL");
          inFlight(name);
        }
      });
      let name: string;
      try {
        await running.waitFor(/^Training 100,000 steps\.$|^Training steps /m);
        name = await Promise.race([killed, running.done.then((r) => assert.fail(`the demo ended first:\n${r.stdout}\n${r.stderr}`))]);
      } finally {
        watcher.close();
        running.kill("SIGKILL");
      }
      const r = await running.done;
      assert.equal(r.signal, "SIGKILL", `${r.stdout}\n${r.stderr}`);
      if (expected === undefined) assert.match(r.stdout, new RegExp(`^${escape(msg.startingFromScratch(dir))}$`, "m"));
      else
        assert.match(
          r.stdout,
          new RegExp(`^Found ${expected.name}: step ${expected.step.toLocaleString("en-US")} `, "m"),
          "resumed from the checkpoint the previous kill left newest",
        );
      const step = Number(/^\.tmp-ckpt-step-(\d+)-/.exec(name)![1]);
      // Still there: the save was mid-way (not renamed into place) when the process died.
      if (readdirSync(dir).includes(name)) landedMidSave = name;

      const store = await CheckpointStore.open(dir, { readOnly: true });
      try {
        const { checkpoints } = await store.list({ verify: true });
        for (const c of checkpoints) assert.equal(c.verified, true, `${c.name}: ${JSON.stringify(c.problems)}`);
        const hit = await store.resolve("auto");
        assert.ok(hit !== undefined, "the first save of the run committed before the second began");
        assert.deepEqual(hit.skipped, []);
        if (landedMidSave !== undefined) {
          assert.ok(!checkpoints.some((c) => c.step === step), `the in-flight save of step ${step} is not a checkpoint`);
          assert.ok(hit.step < step, `${hit.name}: the checkpoint before the one in flight`);
        } else {
          assert.ok(hit.step <= step);
        }
        expected = { name: hit.name, step: hit.step };
      } finally {
        await store.close();
      }
    }
    assert.ok(landedMidSave !== undefined, "in 6 runs, no kill landed while a background save was in flight");
    console.log(`      killed mid-save (${landedMidSave}) in run ${runs}`);

    const next = await finished(["--dir", dir, "--steps", String(expected!.step + 2), ...small(3)]);
    assert.match(next, new RegExp(`^Found ${expected!.name}: step ${expected!.step.toLocaleString("en-US")} `, "m"));
    assert.match(next, new RegExp(`^Resuming at step ${expected!.step.toLocaleString("en-US")} of `, "m"));
    assert.match(next, new RegExp(`Finished at step ${(expected!.step + 2).toLocaleString("en-US")} `));
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith(".tmp-ckpt-")),
      [],
      "the rerun removed the half-written save",
    );
    // metrics.jsonl through every kill and rerun: each step exactly once, in order.
    assert.deepEqual(
      parseMetrics(readFileSync(join(dir, "metrics.jsonl"))).lines.map((l) => l["step"]),
      Array.from({ length: expected!.step + 2 }, (_, i) => i + 1),
    );
  });

  it("resumes the checkpoint `nbresume resume-command --ref` names, with the flag the demo recorded; the newer ones are moved aside and the run ends bitwise where it ended before", async function () {
    const dir = join(root, "resume-ref");
    await finished(["--dir", dir, "--steps", "6", "--ema", "0.9", ...small()]);
    const printed = execFileSync(process.execPath, [CLI_ENTRY, "resume-command", dir, "--ref", "step:2", "--json"], { encoding: "utf8" });
    const argv = (JSON.parse(printed) as { argv: string[] }).argv;
    assert.deepEqual(argv.slice(0, 4), ["npm", "run", "demo", "--"]);
    assert.deepEqual(argv.slice(-2), ["--resume-from", join(dir, "ckpt-step-00000002-rolling")]);
    const out = await finished(argv.slice(4));
    assert.match(out, /^Found ckpt-step-00000002-rolling: step 2 /m);
    assert.match(out, /^Resuming ckpt-step-00000002-rolling \(step 2\), older than the newest: moved 2 newer checkpoints /m);
    const aside = readdirSync(dir).find((n) => n.startsWith("rolled-back-"))!;
    await assertSameModel(join(dir, aside, "ckpt-step-00000006-final"), join(dir, "ckpt-step-00000006-final"));
    // The log of the run: every step once, and the EMA kept beside the weights.
    const log = execFileSync(process.execPath, [CLI_ENTRY, "log", dir, "--json"], { encoding: "utf8" });
    assert.deepEqual(
      (JSON.parse(log) as { lines: { step: number }[] }).lines.map((l) => l.step),
      [1, 2, 3, 4, 5, 6],
    );
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      assert.ok((await store.load("step:6")).tensors["ema"] !== undefined);
    } finally {
      await store.close();
    }
  });

  it("starts over with --on-existing fresh (the old checkpoints moved aside) and stops with exit 1 when --lr drives it to NaN", async function () {
    const dir = join(root, "fresh-and-nan");
    await finished(["--dir", dir, "--steps", "2", ...small()]);
    const r = await demo(["--dir", dir, "--steps", "40", "--on-existing", "fresh", "--lr", "1e12", ...small()]).done;
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^onExisting: "fresh": moved 1 checkpoint /m);
    assert.match(r.stderr, /Stopped at step \d+: the (loss|gradient norm) is (NaN|Infinity|-Infinity) — not applied, nothing non-finite saved/);
    assert.equal(readdirSync(dir).filter((n) => n.startsWith("rolled-back-")).length, 1);
  });

  it('saves its emergency checkpoint when two SIGINTs come 50 ms apart, saying "saving, press again to abort", and the rerun continues', async function () {
    // Batch 64: a step takes long enough that both signals land before the run has stopped (a
    // second signal after the stop finished has nothing to warn about: then the pair is sent again).
    let saw: { dir: string; step: number } | undefined;
    for (let attempt = 1; attempt <= 3 && saw === undefined; attempt++) {
      const dir = join(root, `double-SIGINT-${attempt}`);
      const running = demo(["--dir", dir, "--steps", "100000", ...small(1000), "--batch-size", "64"]);
      await running.waitFor(/^Training 100,000 steps\.$/m);
      await sleep(1000);
      running.kill("SIGINT");
      await sleep(50);
      running.kill("SIGINT");
      const r = await running.done;
      assert.equal(r.signal, "SIGINT", `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
      const stopped = /^interrupted at step (\d+) — emergency checkpoint saved — rerun the cell to resume$/m.exec(r.stdout);
      assert.ok(stopped !== null, `no emergency checkpoint:\n${r.stdout}\n${r.stderr}`);
      const generations = readdirSync(join(dir, ".lock")).filter((n) => /^\d+\.json$/.test(n));
      assert.deepEqual(
        generations.map((n) => (JSON.parse(readFileSync(join(dir, ".lock", n), "utf8")) as { released: unknown }).released),
        [true],
        "the lock was released, not left stale",
      );
      if (r.stderr.includes(signalNotices.savingPressAgain("SIGINT"))) saw = { dir, step: Number(stopped[1]) };
    }
    assert.ok(saw !== undefined, "in 3 tries the second SIGINT never came while the emergency checkpoint was being saved");
    const next = await finished(["--dir", saw.dir, "--steps", String(saw.step + 1), ...small(1000), "--batch-size", "64"]);
    assert.match(next, new RegExp(`^Found ckpt-step-${String(saw.step).padStart(8, "0")}-emergency: `, "m"));
  });

  it("gives up the emergency save on a third signal: dies of it at once, and the rerun still resumes", async function () {
    const dir = join(root, "triple-SIGINT");
    // Batch 64: the three signals land within one step, so all three reach the run while it stops.
    const running = demo(["--dir", dir, "--steps", "100000", ...small(1000), "--batch-size", "64"]);
    await running.waitFor(/^Training 100,000 steps\.$/m);
    await sleep(1000);
    for (let i = 0; i < 3; i++) {
      running.kill("SIGINT");
      await sleep(10);
    }
    const r = await running.done;
    assert.equal(r.signal, "SIGINT", `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr.split(signalNotices.savingPressAgain("SIGINT")).length - 1, 1, `said so once:\n${r.stderr}`);
    // Whatever the abort left (the lock of a dead process is taken over; on a loaded machine the
    // third signal may come after the emergency checkpoint committed), the next run resumes.
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    const saved = (await reader.resolve("auto").finally(() => reader.close()))?.step ?? 0;
    const next = await finished(["--dir", dir, "--steps", String(saved + 2), ...small(1000), "--batch-size", "64"]);
    assert.match(next, new RegExp(`Finished at step ${saved + 2} `));
  });

  it("saves an emergency checkpoint on SIGHUP (the terminal went away) and dies of SIGHUP", async function () {
    const dir = join(root, "SIGHUP");
    const running = demo(["--dir", dir, "--steps", "100000", ...small(1000)]);
    await running.waitFor(/^Training 100,000 steps\.$/m);
    await sleep(1000);
    running.kill("SIGHUP");
    const r = await running.done;
    assert.equal(r.signal, "SIGHUP", `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
    const stopped = /^interrupted at step (\d+) — emergency checkpoint saved — rerun the cell to resume$/m.exec(r.stdout);
    assert.ok(stopped !== null, r.stdout);
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const hit = await store.resolve("auto");
      assert.equal(hit?.name, `ckpt-step-${String(Number(stopped[1])).padStart(8, "0")}-emergency`);
    } finally {
      await store.close();
    }
  });

  it('resumes when the checkpoint\'s config has keys named constructor and toString that this run lacks (not "a bad argument")', async function () {
    const dir = join(root, "prototype-keys");
    await finished(["--dir", dir, "--steps", "2", ...small()]);
    const ckpt = join(dir, "ckpt-step-00000002-final");
    const stateFile = join(ckpt, "state.json");
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as { config: Record<string, unknown> };
    writeFileSync(stateFile, JSON.stringify({ ...state, config: { ...state.config, constructor: 1, toString: "x" } }, null, 1));
    await forgeManifest(ckpt);
    const r = await demo(["--dir", dir, "--steps", "3", ...small()]).done;
    assert.equal(r.code, 0, `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^constructor\s+1 → \(none\)/m, "shown as a removed setting");
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /Function|bad argument|--help/);
    assert.match(r.stdout, /Finished at step 3 /);
  });

  it("resumes past a hostile directory (symlinks to / and .., a FIFO as latest, a .tmp link out of the run) within a minute, touching nothing outside", async function () {
    const dir = join(root, "hostile");
    await finished(["--dir", dir, "--steps", "4", ...small()]);
    const canary = await makeCanary("demo");
    try {
      symlinkSync("/", join(dir, "ckpt-step-00000009-rolling"));
      symlinkSync("..", join(dir, "ckpt-step-00000004-final", "loop"));
      renameSync(join(dir, "latest"), join(dir, "latest.old"));
      execFileSync("mkfifo", [join(dir, "latest")]);
      symlinkSync(canary.dir, join(dir, ".tmp-ckpt-step-00000005-rolling-1-ab"));
      const t0 = Date.now();
      const r = await demo(["--dir", dir, "--steps", "5", ...small()]).done;
      assert.ok(Date.now() - t0 < 60_000, `took ${Date.now() - t0} ms`);
      assert.equal(r.code, 0, `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
      // The run says which checkpoints it passed over, and why (warnings go to stderr).
      assert.ok(r.stderr.includes(storeMessages.checkpointSpecial("ckpt-step-00000009-rolling", "a symbolic link")), r.stderr);
      assert.ok(r.stderr.includes(storeMessages.holdsSpecial("loop", "a symbolic link")), r.stderr);
      assert.match(r.stdout, /^Found ckpt-step-00000002-rolling: /m, "the newest checkpoint that is not hostile");
      assert.match(r.stdout, /Finished at step 5 /);
      assert.ok(lstatSync(join(dir, "latest")).isFile(), "latest is a regular file again");
      await canary.check();
      assert.deepEqual(readdirSync(canary.dir), ["precious.txt"]);
    } finally {
      rmSync(canary.dir, { recursive: true, force: true });
    }
  });

  it(`shows the newest checkpoint of a read-only run directory (${canMount ? "a read-only tmpfs" : "mount not permitted here: read-only by permissions"}), says it cannot train there, exits 1, no stack`, async function () {
    const mountPoint = mkdtempSync(join(tmpdir(), "nbresume-demo-ro-"));
    const dir = join(mountPoint, "run");
    try {
      if (canMount) mountTmpfs(mountPoint, 64 * 1024 * 1024);
      await finished(["--dir", dir, "--steps", "2", ...small()]);
      if (canMount) remountReadOnly(mountPoint);
      else execFileSync("chmod", ["-R", "a-w", dir]);
      const r = await demo(["--dir", dir, "--steps", "3", ...small()]).done;
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^Found ckpt-step-00000002-final: step 2 /m);
      assert.match(
        r.stderr,
        new RegExp(
          `^warning: ${escape(dir)} cannot be written \\(Checkpoint directory ${escape(dir)} cannot be written: taking the writer lock in ${escape(join(dir, ".lock"))} failed with E`,
          "m",
        ),
      );
      assert.match(r.stderr, /opened read-only — the newest checkpoint is shown, but this run cannot train or save/);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    } finally {
      if (canMount) unmount(mountPoint);
      else execFileSync("chmod", ["-R", "u+w", mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });

  it("rejects a bad argument with the usage hint and exit status 2", async function () {
    const r = await demo(["--steps", "zero"]).done;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--steps must be a positive integer, got "zero"/);
    assert.match(r.stderr, /npm run demo -- --help/);
    for (const [args, said] of [
      [["--load", "weights,moments"], /--load must be all, weights, or a comma list/],
      [["--on-existing", "maybe"], /--on-existing must be one of resume, fresh, ask, error/],
      [["--ema", "1"], /--ema must be a number between 0 and 1/],
    ] as const) {
      const bad = await demo([...args]).done;
      assert.equal(bad.code, 2, args.join(" "));
      assert.match(bad.stderr, said);
    }
  });

  it("exits 2 when --on-existing ask has no terminal to ask in, saying what to pass instead", async function () {
    const dir = join(root, "ask");
    await finished(["--dir", dir, "--steps", "2", ...small()]);
    const r = await demo(["--dir", dir, "--steps", "3", "--on-existing", "ask", ...small()]).done;
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.ok(r.stderr.includes(msg.cannotAsk("no-terminal")), r.stderr);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
