import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { CheckpointErrorCode, checkpointMessages as storeMessages } from "../../src/checkpoint/messages.js";
import { quoteCommand } from "../../src/checkpoint/shell-quote.js";
import { ALL_COMMANDS } from "../../src/cli/commands/all-commands.js";
import { TAGLINE } from "../../src/cli/help.js";
import { CliErrorCode, cliMessages as messages } from "../../src/cli/messages.js";
import { formatBytes } from "../../src/shared/format.js";
import { CLI_ENTRY, ROOT, ensureBuilt, nbresume, nbresumeJson } from "./compiled-cli.js";
import { patterned, smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { DEFAULT_RETENTION } from "../../src/checkpoint/retention.js";
import { mlpRun } from "../run/mlp-run.js";

const CONFIG = { lr: 0.001, model: { width: 64, layers: [1, 2, 3] }, seed: 7 };
const COMMAND = ["node", "train.js", "--dir", "runs/my run", "--lr", "0.001"];

/** Step, kind, epoch and val_loss of the fixture run (step 30 is the best, step 55 the newest). */
const SAVES = [
  { step: 10, kind: "rolling", epoch: 0, val_loss: 0.9 },
  { step: 20, kind: "rolling", epoch: 0, val_loss: 0.5 },
  { step: 30, kind: "epoch", epoch: 1, val_loss: 0.3 },
  { step: 40, kind: "rolling", epoch: 1, val_loss: 0.4 },
  { step: 50, kind: "rolling", epoch: 1, val_loss: 0.45 },
  { step: 55, kind: "emergency", epoch: 1, val_loss: undefined },
] as const;

const name = (step: number, kind: string): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

/** A run of real checkpoints written by the real store; `state` is merged into each checkpoint's state. */
async function makeRun(dir: string, state: Record<string, unknown> = {}): Promise<void> {
  const store = await CheckpointStore.open(dir, { keep: { rolling: 10, emergency: 10 }, bestMetric: { name: "val_loss", mode: "min" } });
  try {
    for (const s of SAVES) {
      await store.save({
        kind: s.kind,
        step: s.step,
        epoch: s.epoch,
        tensors: smallGroups(s.step),
        metrics: s.val_loss === undefined ? {} : { val_loss: s.val_loss },
        state: {
          config: CONFIG,
          command: COMMAND,
          lossHistory: Array.from({ length: s.step }, (_, i) => 1 / (i + 1)),
          rng: { seed: 1, draws: s.step },
          dataCursor: { epoch: s.epoch, position: s.step * 8 },
          ...state,
        },
      });
    }
  } finally {
    await store.close();
  }
}

async function flipByte(file: string, at: number): Promise<void> {
  const bytes = await fsp.readFile(file);
  bytes[at] = (bytes[at] as number) ^ 0xff;
  await fsp.writeFile(file, bytes);
}

async function manifestOf(dir: string): Promise<{ files: Record<string, { bytes: number; hash: string }> }> {
  return JSON.parse(await fsp.readFile(path.join(dir, "manifest.json"), "utf8")) as { files: Record<string, { bytes: number; hash: string }> };
}

async function checkpointNames(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => n.startsWith("ckpt-")).sort();
}

function assertNoStack(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, `no stack trace expected:\n${text}`);
}

describe("nbresume CLI (the compiled dist/cli/main.js in a child process)", function () {
  let run: string; // a fixture run no test modifies
  const scratch: string[] = [];

  /** A fresh copy of the fixture run for a test that changes it. */
  async function freshRun(state?: Record<string, unknown>): Promise<string> {
    const dir = await makeTempDir("cli");
    scratch.push(dir);
    await makeRun(dir, state);
    return dir;
  }

  before(async function () {
    this.timeout(180_000); // a full tsc build when dist/ is older than src/
    await ensureBuilt();
    run = await makeTempDir("cli-run");
    await makeRun(run);
  });

  after(async () => {
    await removeDir(run);
    for (const dir of scratch) await removeDir(dir);
  });

  describe("the executable", () => {
    it("is built with the node shebang, as package.json's bin names it", async () => {
      const pkg = JSON.parse(await fsp.readFile(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
      assert.equal(path.resolve(ROOT, pkg.bin["nbresume"] as string), CLI_ENTRY);
      const first = (await fsp.readFile(CLI_ENTRY, "utf8")).split("\n")[0];
      assert.equal(first, "#!/usr/bin/env node");
    });

    it("says what nbresume is in --help's first line, lists every registered command and exits 0", async () => {
      const { code, stdout } = await nbresume("--help");
      assert.equal(code, 0);
      assert.equal(stdout.split("\n")[0], TAGLINE);
      for (const command of ALL_COMMANDS.map((c) => c.name)) {
        assert.match(stdout, new RegExp(`^  ${command} `, "m"), `--help lists ${command}`);
      }
    });

    it("prints each command's own help with its flags, including --json", async () => {
      const { code, stdout } = await nbresume("prune", "--help");
      assert.equal(code, 0);
      assert.match(stdout, /^usage: nbresume prune DIR \[options\]/);
      for (const flag of ["--yes", "--keep-rolling N", "--keep-emergency N", "--keep-best K", "--metric NAME:min|max", "--json"])
        assert.ok(stdout.includes(flag), flag);
    });

    it("exits 2 with a one-line hint and the usage on an unknown command", async () => {
      const { code, stdout, stderr } = await nbresume("lst", run);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      const lines = stderr.trim().split("\n");
      assert.equal(
        lines[0],
        `nbresume: ${messages.unknownCommand(
          "lst",
          ALL_COMMANDS.map((c) => c.name),
        )}`,
      );
      assert.match(lines[0], /Did you mean 'list'( or '\w+')?\?/);
      assert.equal(lines[1], "usage: nbresume COMMAND [ARGS] [options]");
    });

    it("exits 2 on an unknown flag, a missing argument, an extra argument and no command at all", async () => {
      const flag = await nbresume("list", run, "--verfy");
      assert.equal(flag.code, 2);
      assert.ok(flag.stderr.startsWith(`nbresume: ${messages.unknownOption("--verfy", "list", ["verify", "metric", "json", "debug", "help"])}`), flag.stderr);
      assert.match(flag.stderr, /usage: nbresume list DIR \[options\]/);
      const missing = await nbresume("inspect");
      assert.equal(missing.code, 2);
      assert.ok(missing.stderr.startsWith(`nbresume: ${messages.missingArgument("CKPT")}`), missing.stderr);
      const extra = await nbresume("du", run, run);
      assert.equal(extra.code, 2);
      assert.ok(extra.stderr.startsWith(`nbresume: ${messages.extraArguments([run])}`));
      const none = await nbresume();
      assert.equal(none.code, 2);
      assert.match(none.stderr, /Commands:/);
    });

    it("exits 2 for a directory that does not exist and for a bad --ref or --metric", async () => {
      const gone = path.join(run, "nope");
      const missing = await nbresume("list", gone);
      assert.equal(missing.code, 2);
      assert.ok(missing.stderr.startsWith(`nbresume: ${messages.pathMissing(gone)}`));
      assert.equal((await nbresume("inspect", run, "--ref", "step:x")).code, 2);
      const metric = await nbresume("list", run, "--metric", "val_loss");
      assert.equal(metric.code, 2);
      assert.ok(metric.stderr.startsWith(`nbresume: ${messages.badMetric("val_loss")}`));
    });

    it("prints a store error as one line plus what to do, with the stack only under --debug", async () => {
      const plain = await nbresume("inspect", run, "--ref", "step:999");
      assert.equal(plain.code, 1);
      const lines = plain.stderr.trim().split("\n");
      assert.equal(lines[0], messages.error(storeMessages.notFound("step:999", run, storeMessages.noStep(999))));
      assert.equal(lines[1], messages.hint(messages.hintFor(CheckpointErrorCode.NOT_FOUND) as string));
      assertNoStack(plain.stderr);
      const debug = await nbresume("inspect", run, "--ref", "step:999", "--debug");
      assert.equal(debug.code, 1);
      assert.match(debug.stderr, /^\s+at /m);
      const json = await nbresumeJson("inspect", run, "--ref", "step:999");
      assert.equal(json.code, 1);
      assert.deepEqual(json.json, {
        error: { code: CheckpointErrorCode.NOT_FOUND, message: storeMessages.notFound("step:999", run, storeMessages.noStep(999)), where: run },
      });
    });
  });

  describe("list", () => {
    it("groups checkpoints by kind with step, epoch, metrics, size, age and 'not checked', marks latest and best, and totals", async () => {
      const { code, stdout } = await nbresume("list", run, "--metric", "val_loss:min");
      assert.equal(code, 0);
      // eslint-disable-next-line no-control-regex -- looks for ANSI escape sequences, which start with ESC
      assert.doesNotMatch(stdout, /\x1b\[/, "no colour when stdout is not a terminal");
      const rolling = stdout.indexOf("rolling — 4 checkpoints");
      const emergency = stdout.indexOf("emergency — 1 checkpoint,");
      const epoch = stdout.indexOf("epoch — 1 checkpoint,");
      assert.ok(rolling >= 0 && emergency > rolling && epoch > emergency, stdout);
      assert.match(stdout, new RegExp(`latest → ${name(55, "emergency")} · best by val_loss \\(min\\) → ${name(30, "epoch")}`));
      const row = (step: number, kind: string) => stdout.split("\n").find((l) => l.startsWith(`  ${name(step, kind)} `)) ?? "";
      assert.match(row(20, "rolling"), /\s20\s+0\s+val_loss=0\.5\s+\S+ KiB\s+just now\s+not checked$/);
      assert.match(row(30, "epoch"), /val_loss=0\.3 .*not checked\s+best$/);
      assert.match(row(55, "emergency"), /\s55\s+1\s+-\s+.*not checked\s+latest$/);
      const listing = await (await CheckpointStore.open(run, { readOnly: true })).list();
      assert.match(
        stdout,
        new RegExp(`^Total: 6 checkpoints, ${formatBytes(listing.total.bytes).replace(".", "\\.")} \\(rolling 4 · emergency 1 · epoch 1\\)$`, "m"),
      );
      // Every column lines up: the SIZE column ends at the same place on every row.
      const ends = stdout
        .split("\n")
        .filter((l) => l.startsWith("  ckpt-"))
        .map((l) => l.indexOf(" KiB"));
      assert.equal(ends.length, 6);
      assert.equal(new Set(ends).size, 1, stdout);
    });

    it("prints one JSON document with stable fields; --verify checks every file", async () => {
      const { code, json } = await nbresumeJson<{
        dir: string;
        deepChecked: boolean;
        latest: string;
        best: { metric: string; mode: string; name: string };
        checkpoints: {
          name: string;
          kind: string;
          step: number;
          epoch: number;
          metrics: Record<string, number>;
          bytes: number;
          ageSeconds: number;
          verified: boolean | null;
          latest: boolean;
          best: boolean;
        }[];
        totals: Record<string, { count: number; bytes: number }>;
        total: { count: number; bytes: number };
      }>("list", run, "--verify", "--metric", "val_loss:min");
      assert.equal(code, 0);
      assert.equal(json.dir, run);
      assert.equal(json.deepChecked, true);
      assert.equal(json.latest, name(55, "emergency"));
      assert.deepEqual(json.best, { metric: "val_loss", mode: "min", name: name(30, "epoch") });
      assert.deepEqual(
        json.checkpoints.map((c) => [c.step, c.kind, c.epoch, c.verified]),
        SAVES.map((s) => [s.step, s.kind, s.epoch, true]),
      );
      assert.deepEqual(json.checkpoints.find((c) => c.step === 40)?.metrics, { val_loss: 0.4 });
      assert.deepEqual(
        json.checkpoints.filter((c) => c.latest || c.best).map((c) => c.name),
        [name(30, "epoch"), name(55, "emergency")],
      );
      assert.ok(json.checkpoints.every((c) => c.ageSeconds >= 0 && c.ageSeconds < 600));
      assert.deepEqual(json.totals["rolling"]?.count, 4);
      assert.equal(json.total.count, 6);
      assert.equal(
        json.total.bytes,
        json.checkpoints.reduce((s, c) => s + c.bytes, 0),
      );
      const unchecked = await nbresumeJson<{ checkpoints: { verified: null }[] }>("list", run);
      assert.ok(unchecked.json.checkpoints.every((c) => c.verified === null));
    });

    it("exits 1 with --verify when a checkpoint is damaged, naming the file", async () => {
      const dir = await freshRun();
      await flipByte(path.join(dir, name(20, "rolling"), "model.safetensors"), 300);
      const { code, stdout } = await nbresume("list", dir, "--verify");
      assert.equal(code, 1);
      assert.match(stdout, new RegExp(`${name(20, "rolling")} .*FAILED`));
      assert.match(stdout, /✗ model\.safetensors: hash xxh64:[0-9a-f]{16} expected, xxh64:[0-9a-f]{16} found/);
    });

    it("says so when the directory holds no checkpoint", async () => {
      const dir = await makeTempDir("cli-empty");
      scratch.push(dir);
      const { code, stdout } = await nbresume("list", dir);
      assert.equal(code, 0);
      assert.ok(stdout.includes(messages.noCheckpoints(dir)));
    });
  });

  describe("verify", () => {
    it("verifies every checkpoint in a directory and exits 0", async () => {
      const { code, stdout } = await nbresume("verify", run);
      assert.equal(code, 0);
      for (const s of SAVES) assert.match(stdout, new RegExp(`^  ok\\s+${name(s.step, s.kind)}\\s`, "m"));
      assert.match(stdout, /6 checkpoints verified, none failed\./);
    });

    it("exits 1 and names each damaged file with the expected and the actual hash or size", async () => {
      const dir = await freshRun();
      const flipped = path.join(dir, name(40, "rolling"));
      const truncated = path.join(dir, name(10, "rolling"));
      await flipByte(path.join(flipped, "optimizer.safetensors"), 500);
      const expectedBytes = (await manifestOf(truncated)).files["model.safetensors"]?.bytes as number;
      await fsp.truncate(path.join(truncated, "model.safetensors"), 100);

      const { code, json } = await nbresumeJson<{
        ok: boolean;
        checkpoints: { name: string; ok: boolean; problems: { file: string; kind: string; message: string; expected: unknown; actual: unknown }[] }[];
      }>("verify", dir);
      assert.equal(code, 1);
      assert.equal(json.ok, false);
      assert.deepEqual(
        json.checkpoints.filter((c) => !c.ok).map((c) => c.name),
        [name(10, "rolling"), name(40, "rolling")],
      );
      const hash = json.checkpoints.find((c) => c.name === name(40, "rolling"))?.problems[0];
      assert.equal(hash?.file, "optimizer.safetensors");
      assert.equal(hash?.kind, "hash");
      assert.equal(hash?.expected, (await manifestOf(flipped)).files["optimizer.safetensors"]?.hash);
      assert.equal(hash?.message, storeMessages.fileHash("optimizer.safetensors", hash?.expected as string, hash?.actual as string));
      const size = json.checkpoints.find((c) => c.name === name(10, "rolling"))?.problems[0];
      assert.deepEqual([size?.file, size?.kind, size?.expected, size?.actual], ["model.safetensors", "size", expectedBytes, 100]);

      const human = await nbresume("verify", dir);
      assert.equal(human.code, 1);
      assert.ok(human.stdout.includes(`✗ ${hash?.message}`), human.stdout);
      assert.ok(human.stdout.includes(`✗ ${storeMessages.fileSize("model.safetensors", expectedBytes, 100)}`), human.stdout);
      assert.match(human.stdout, /2 of 6 checkpoints failed verification\./);

      const one = await nbresume("verify", flipped);
      assert.equal(one.code, 1);
      assert.match(one.stdout, /^Verifying 1 checkpoint in /);
      assert.equal((await nbresume("verify", path.join(dir, name(50, "rolling")))).code, 0);
    });

    it("exits 1 when there is nothing to verify", async () => {
      const dir = await makeTempDir("cli-empty");
      scratch.push(dir);
      const { code, stdout } = await nbresume("verify", dir);
      assert.equal(code, 1);
      assert.ok(stdout.includes(messages.nothingToVerify(dir)));
    });
  });

  describe("inspect", () => {
    it("shows tensors per group, the state summary and the manifest of the newest checkpoint", async () => {
      const { code, stdout } = await nbresume("inspect", run);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^Checkpoint ${path.join(run, name(55, "emergency"))}$`, "m"));
      assert.match(stdout, /^ {2}model \(model\.safetensors\) — 2 tensors, 2,080 values, 8\.13 KiB$/m);
      assert.match(stdout, /^ {4}w\s+float32\s+\[64, 32\]\s+8\.00 KiB$/m);
      assert.match(stdout, /^ {4}b\s+float32\s+\[32\]\s+128 B$/m);
      assert.match(stdout, /^ {4}m\.w\s+float32\s+\[64, 32\]\s+8\.00 KiB$/m);
      assert.match(stdout, /loss history: 55 values \(lossHistory\)/);
      assert.match(stdout, /rng state: present \(rng\) · data cursor: present \(dataCursor\)/);
      assert.match(stdout, /config keys: lr, model, seed/);
      assert.match(stdout, /versions: nbresume \d+\.\d+\.\d+ · format 1/);
      // Resolved as a rerun resolves it: every file hashed on the way.
      assert.match(stdout, /verified: ok/);
      assert.match(stdout, /^ {2}state\.json\s+[\d,]+\s+xxh64:[0-9a-f]{16}$/m);
      // A checkpoint named directly is only read, not hashed.
      const direct = await nbresume("inspect", path.join(run, name(55, "emergency")));
      assert.match(direct.stdout, /verified: not checked/);
    });

    it("prints every field as one JSON document and checks hashes with --verify", async () => {
      const ckpt = path.join(run, name(30, "epoch"));
      const { code, json } = await nbresumeJson<{
        name: string;
        kind: string;
        step: number;
        epoch: number;
        metrics: Record<string, number>;
        verified: boolean;
        groups: { group: string; tensorCount: number; tensorBytes: number; tensors: { name: string; dtype: string; shape: number[]; bytes: number }[] }[];
        state: {
          step: number;
          lossHistory: { length: number };
          rng: object | null;
          dataCursor: object | null;
          configKeys: string[];
          command: boolean;
          nbresume: string;
          format: number;
        };
        manifest: { files: Record<string, { bytes: number; hash: string }> };
      }>("inspect", ckpt, "--verify");
      assert.equal(code, 0);
      assert.deepEqual(
        [json.name, json.kind, json.step, json.epoch, json.metrics, json.verified],
        [name(30, "epoch"), "epoch", 30, 1, { val_loss: 0.3 }, true],
      );
      assert.deepEqual(
        json.groups.map((g) => [g.group, g.tensorCount]),
        [
          ["model", 2],
          ["optimizer", 2],
        ],
      );
      assert.deepEqual(
        json.groups[0]?.tensors.find((t) => t.name === "w"),
        { name: "w", dtype: "float32", shape: [64, 32], elements: 2048, bytes: 8192 },
      );
      assert.equal(json.state.lossHistory.length, 30);
      assert.ok(json.state.rng && json.state.dataCursor && json.state.command);
      assert.deepEqual(json.state.configKeys, ["lr", "model", "seed"]);
      assert.deepEqual(json.manifest.files, (await manifestOf(ckpt)).files);
    });

    it("summarizes the state resumable() writes (training.rng, data cursor, compacted loss history) and marks best by its config", async () => {
      const dir = await makeTempDir("cli-runstate");
      scratch.push(dir);
      const store = await CheckpointStore.open(dir);
      for (const [step, val] of [
        [8, 0.6],
        [16, 0.7],
      ] as const) {
        await store.save({
          kind: "rolling",
          step,
          tensors: smallGroups(step),
          metrics: { loss: 0.5, val_loss: val },
          state: {
            run: 1,
            config: { model: { kind: "mlp-classifier" }, bestMetric: { name: "val_loss", mode: "min" } },
            training: { step, model: { kind: "mlp-classifier" }, rng: { key: "x" } },
            data: { version: 1, epoch: 0, position: step },
            history: {
              version: 1,
              stride: 4,
              train: [
                [4, 1],
                [8, 0.5],
              ],
              validation: [[8, 0.6]],
              pending: null,
            },
            best: { metric: "val_loss", mode: "min", value: 0.6, step: 8 },
          },
        });
      }
      await store.close();
      const { stdout } = await nbresume("inspect", dir);
      assert.match(stdout, /loss history: 2 values \(one per 4 steps\), 1 validation \(history\)/);
      assert.match(stdout, /rng state: present \(training\.rng\) · data cursor: present \(data\)/);
      const list = await nbresume("list", dir);
      assert.match(list.stdout, new RegExp(`best by val_loss \\(min\\) → ${name(8, "rolling")}`));
    });

    it("truncates a long tensor list with a count, and --all shows every tensor", async () => {
      const dir = await makeTempDir("cli-many");
      scratch.push(dir);
      const store = await CheckpointStore.open(dir);
      const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`layer${String(i).padStart(2, "0")}.weight`, patterned(i, [3, 2])]));
      await store.save({ kind: "final", step: 1, tensors: { model: many } });
      await store.close();
      const short = await nbresume("inspect", dir);
      assert.equal(short.code, 0);
      assert.match(short.stdout, /layer19\.weight/);
      assert.doesNotMatch(short.stdout, /layer20\.weight/);
      assert.match(short.stdout, /… 5 more \(--all shows every tensor\)/);
      const all = await nbresume("inspect", dir, "--all");
      assert.match(all.stdout, /layer24\.weight/);
      assert.doesNotMatch(all.stdout, /more \(--all/);
    });

    it("still shows a damaged checkpoint named directly, and exits 1 naming the unreadable file", async () => {
      const dir = await freshRun();
      await fsp.truncate(path.join(dir, name(55, "emergency"), "optimizer.safetensors"), 4);
      const { code, stdout } = await nbresume("inspect", path.join(dir, name(55, "emergency")));
      assert.equal(code, 1);
      assert.match(stdout, /verified: FAILED/);
      assert.match(stdout, /✗ optimizer\.safetensors: /);
      assert.match(stdout, /^ {2}model \(model\.safetensors\) — 2 tensors/m);
    });
  });

  describe("prune", () => {
    it("plans with reasons and deletes nothing without --yes", async () => {
      const dir = await freshRun();
      const before = await checkpointNames(dir);
      const { code, stdout } = await nbresume("prune", dir, "--keep-rolling", "2", "--metric", "val_loss:min", "--keep-best", "1");
      assert.equal(code, 0);
      assert.match(stdout, /dry run/);
      assert.match(
        stdout,
        /policy: rolling 2 \(flag\) · emergency 5 \(store default\) · best 1 \(flag\) by val_loss min \(flag\) · epoch all \(store default\)/,
      );
      assert.match(stdout, new RegExp(`^  DELETE\\s+${name(10, "rolling")}\\s+rolling\\s+10\\s+.* rolling: 4th newest, policy keeps 2`, "m"));
      assert.match(stdout, new RegExp(`^  DELETE\\s+${name(20, "rolling")}\\s`, "m"));
      assert.match(stdout, new RegExp(`^  keep\\s+${name(30, "epoch")}\\s+.*protected: current best`, "m"));
      assert.match(stdout, /Would delete 2 checkpoints/);
      assert.ok(stdout.includes(messages.pruneDryRun()));
      assert.deepEqual(await checkpointNames(dir), before);
    });

    it("--yes deletes exactly the checkpoints the dry run planned", async () => {
      const dir = await freshRun();
      const flags = ["--keep-rolling", "1", "--keep-emergency", "0", "--metric", "val_loss:min", "--keep-best", "2"];
      const plan = await nbresumeJson<{ dryRun: boolean; delete: { name: string; reasons: string[] }[]; keep: { name: string }[]; deleted: string[] }>(
        "prune",
        dir,
        ...flags,
      );
      assert.equal(plan.code, 0);
      assert.equal(plan.json.dryRun, true);
      assert.deepEqual(plan.json.deleted, []);
      const planned = plan.json.delete.map((d) => d.name).sort();
      assert.deepEqual(planned, [name(10, "rolling"), name(20, "rolling")]);
      const before = await checkpointNames(dir);

      const done = await nbresumeJson<{ dryRun: boolean; deleted: string[]; bytesFreed: number }>("prune", dir, ...flags, "--yes");
      assert.equal(done.code, 0);
      assert.equal(done.json.dryRun, false);
      assert.deepEqual([...done.json.deleted].sort(), planned);
      assert.ok(done.json.bytesFreed > 0);
      assert.deepEqual(
        await checkpointNames(dir),
        before.filter((n) => !planned.includes(n)),
      );
      assert.ok(!(await fsp.readdir(dir)).some((n) => n.startsWith(".tmp-")), "no leftovers");
    });

    it("follows the policy the run recorded in state.json when no flag overrides it", async () => {
      const dir = await freshRun({ keep: { rolling: 1, best: 1 }, bestMetric: { name: "val_loss", mode: "min" } });
      const { code, json } = await nbresumeJson<{
        policy: { rolling: number; best: number; bestMetric: object; sources: Record<string, string>; recordedIn: string };
        delete: { name: string }[];
      }>("prune", dir);
      assert.equal(code, 0);
      assert.deepEqual([json.policy.rolling, json.policy.best, json.policy.bestMetric], [1, 1, { name: "val_loss", mode: "min" }]);
      assert.deepEqual(json.policy.sources, { rolling: "run", emergency: "default", best: "run", epoch: "default", bestMetric: "run" });
      assert.equal(json.policy.recordedIn, name(55, "emergency"));
      assert.deepEqual(json.delete.map((d) => d.name).sort(), [name(10, "rolling"), name(20, "rolling"), name(40, "rolling")]);
      const flagged = await nbresumeJson<{ delete: { name: string }[] }>("prune", dir, "--keep-rolling", "3");
      assert.deepEqual(
        flagged.json.delete.map((d) => d.name),
        [name(10, "rolling")],
      );
      const defaults = await nbresume("prune", run);
      assert.ok(defaults.stdout.includes(messages.defaultPolicy()));
    });

    it("with no flags plans by the retention policy resumable() ran with, not the store's default", async function () {
      this.timeout(120_000);
      const dir = await makeTempDir("cli-prune-run");
      scratch.push(dir);
      // More generous than the default (5 rolling), so the run itself kept checkpoints the default would drop.
      const keep = { rolling: 8, emergency: 2, best: 0, epoch: { every: 3 } };
      const result = await (await mlpRun(dir, { steps: 120, checkpointEvery: 10, evalEvery: false, preview: false, keep })).train();
      assert.equal(result.status, "finished");
      const rolling = (await checkpointNames(dir)).filter((n) => n.endsWith("-rolling"));
      assert.deepEqual(
        rolling,
        [40, 50, 60, 70, 80, 90, 100, 110].map((s) => name(s, "rolling")),
        "the run pruned to its own policy",
      );

      const { code, json } = await nbresumeJson<{
        policy: { rolling: number; emergency: number; best: number; epoch: unknown; sources: Record<string, string>; recordedIn: string };
        delete: { name: string }[];
      }>("prune", dir);
      assert.equal(code, 0);
      assert.deepEqual(
        [json.policy.rolling, json.policy.emergency, json.policy.best, json.policy.epoch],
        [keep.rolling, keep.emergency, keep.best, keep.epoch],
      );
      assert.deepEqual(json.policy.sources, { rolling: "run", emergency: "run", best: "run", epoch: "run", bestMetric: "run" });
      assert.equal(json.policy.recordedIn, name(120, "final"));
      assert.deepEqual(json.delete, []);
      // The store's default would have dropped the three oldest.
      const byDefault = await nbresumeJson<{ delete: { name: string }[] }>("prune", dir, "--keep-rolling", String(DEFAULT_RETENTION.rolling));
      assert.deepEqual(
        byDefault.json.delete.map((d) => d.name).sort(),
        [40, 50, 60].map((s) => name(s, "rolling")),
      );
    });

    it("--yes fails with exit 1 naming the holder while a writer holds the directory", async () => {
      const dir = await freshRun();
      const writer = await CheckpointStore.open(dir);
      try {
        const { code, stderr } = await nbresume("prune", dir, "--keep-rolling", "0", "--yes");
        assert.equal(code, 1);
        assert.match(stderr, new RegExp(`^error: Checkpoint directory ${dir} is locked by another writer: pid ${process.pid} `));
        assert.ok(stderr.includes(messages.hint(messages.hintFor(CheckpointErrorCode.LOCKED) as string)));
        assertNoStack(stderr);
      } finally {
        await writer.close();
      }
      assert.equal((await checkpointNames(dir)).length, 6);
    });

    it("refuses a non-numeric --keep-rolling with exit 2", async () => {
      const { code, stderr } = await nbresume("prune", run, "--keep-rolling", "many");
      assert.equal(code, 2);
      assert.ok(stderr.startsWith(`nbresume: ${messages.notACount("keep-rolling", "many")}`));
    });
  });

  describe("diff", () => {
    it("reports a changed learning rate with old → new and exits 1", async () => {
      const file = path.join(run, "..", `${path.basename(run)}-changed.json`);
      scratch.push(file);
      await fsp.writeFile(file, JSON.stringify({ ...CONFIG, lr: 0.002, model: { width: 64, layers: [1, 2] }, batch: 32, seed: undefined }));
      const { code, stdout } = await nbresume("diff", run, "--config", file);
      assert.equal(code, 1);
      assert.match(stdout, /^ {2}changed\s+lr\s+0\.001 → 0\.002$/m);
      assert.match(stdout, /^ {2}removed\s+model\.layers\[2\]\s+3$/m);
      assert.match(stdout, /^ {2}removed\s+seed\s+7$/m);
      assert.match(stdout, /^ {2}added\s+batch\s+32$/m);
      const { json } = await nbresumeJson<{ same: boolean; changed: unknown[]; name: string }>("diff", run, "--config", file);
      assert.equal(json.same, false);
      assert.equal(json.name, name(55, "emergency"));
      assert.deepEqual(json.changed, [{ path: "lr", old: 0.001, new: 0.002 }]);
    });

    it("exits 0 when the configs are equal", async () => {
      const file = path.join(run, "..", `${path.basename(run)}-same.json`);
      scratch.push(file);
      await fsp.writeFile(file, JSON.stringify(CONFIG));
      const { code, stdout } = await nbresume("diff", path.join(run, name(20, "rolling")), "--config", file);
      assert.equal(code, 0);
      assert.match(stdout, /Same config/);
    });

    it("exits 2 without --config or with a file that is not JSON, and 1 when the checkpoint records no config", async () => {
      assert.equal((await nbresume("diff", run)).code, 2);
      const bad = path.join(run, "..", `${path.basename(run)}-bad.json`);
      scratch.push(bad);
      await fsp.writeFile(bad, "{ lr: 0.1 ");
      const notJson = await nbresume("diff", run, "--config", bad);
      assert.equal(notJson.code, 2);
      assert.match(notJson.stderr, /is not valid JSON/);
      const dir = await makeTempDir("cli-noconfig");
      scratch.push(dir);
      const store = await CheckpointStore.open(dir);
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      await store.close();
      const none = await nbresumeJson("diff", dir, "--config", bad.replace("-bad", "-same"));
      assert.equal(none.code, 1);
      assert.deepEqual(none.json, {
        error: { code: CliErrorCode.NO_CONFIG, message: messages.noConfig(path.join(dir, name(1, "rolling"))), where: path.join(dir, name(1, "rolling")) },
      });
    });
  });

  describe("resume-command", () => {
    it("prints exactly the recorded command, shell-quoted, alone on stdout", async () => {
      const { code, stdout, stderr } = await nbresume("resume-command", run);
      assert.equal(code, 0);
      assert.equal(stdout, `${quoteCommand(COMMAND)}\n`);
      assert.equal(stdout, "node train.js --dir 'runs/my run' --lr 0.001\n");
      assert.equal(stderr, `${messages.resumeFrom(name(55, "emergency"), 55)}\n`);
      const { json } = await nbresumeJson<Record<string, unknown>>("resume-command", run, "--ref", "best", "--metric", "val_loss:min");
      assert.deepEqual(json, {
        checkpoint: path.join(run, name(30, "epoch")),
        name: name(30, "epoch"),
        step: 30,
        command: quoteCommand(COMMAND),
        argv: COMMAND,
        config: CONFIG,
      });
    });

    it("ranks --ref best and best-previous by the metric the run recorded when --metric is not given", async () => {
      const dir = await freshRun({ bestMetric: { name: "val_loss", mode: "min" } });
      const best = await nbresumeJson<{ name: string }>("resume-command", dir, "--ref", "best");
      assert.equal(best.json.name, name(30, "epoch"));
      const previous = await nbresumeJson<{ name: string }>("resume-command", dir, "--ref", "best-previous");
      assert.equal(previous.json.name, name(40, "rolling"));
      const unranked = await nbresume("resume-command", run, "--ref", "best");
      assert.equal(unranked.code, 1);
      assert.ok(unranked.stderr.startsWith(messages.error(storeMessages.notFound("best", run, storeMessages.noBestMetric()))), unranked.stderr);
    });

    it("falls back past a damaged newest checkpoint and says so", async () => {
      const dir = await freshRun();
      await flipByte(path.join(dir, name(55, "emergency"), "model.safetensors"), 200);
      const { code, stdout, stderr } = await nbresume("resume-command", dir);
      assert.equal(code, 0);
      assert.equal(stdout, `${quoteCommand(COMMAND)}\n`);
      assert.match(
        stderr,
        new RegExp(`^note: ${name(55, "emergency")} is damaged \\(model\\.safetensors: hash .*\\); using ${name(50, "rolling")} instead\\.$`, "m"),
      );
      assert.ok(stderr.includes(messages.resumeFrom(name(50, "rolling"), 50)));
    });

    it("exits 1 when there is nothing to resume or no command was recorded", async () => {
      const empty = await makeTempDir("cli-empty");
      scratch.push(empty);
      const nothing = await nbresume("resume-command", empty);
      assert.equal(nothing.code, 1);
      assert.equal(nothing.stdout, "");
      assert.ok(nothing.stderr.startsWith(messages.error(storeMessages.notFound("auto", empty, storeMessages.noCheckpoints()))));
      const store = await CheckpointStore.open(empty);
      await store.save({ kind: "rolling", step: 3, tensors: smallGroups(3), state: { config: CONFIG } });
      await store.close();
      const noCommand = await nbresume("resume-command", empty);
      assert.equal(noCommand.code, 1);
      assert.ok(noCommand.stderr.startsWith(messages.error(messages.noCommand(path.join(empty, name(3, "rolling"))))));
    });
  });

  describe("du", () => {
    it("reports bytes per kind, temp leftovers, rolled-back folders, the total and the filesystem as df counts it", async () => {
      const dir = await freshRun();
      await fsp.mkdir(path.join(dir, ".tmp-ckpt-step-00000060-rolling-x"));
      await fsp.writeFile(path.join(dir, ".tmp-ckpt-step-00000060-rolling-x", "model.safetensors"), new Uint8Array(5000));
      const reader = await CheckpointStore.open(dir, { readOnly: true });
      const expected = await reader.du();
      await reader.close();
      const { code, json } = await nbresumeJson<{
        kinds: unknown;
        temp: { count: number; bytes: number; names: string[] };
        total: { count: number; bytes: number };
        filesystem: { available: number; size: number; used: number; usePercent: number };
      }>("du", dir);
      assert.equal(code, 0);
      assert.deepEqual(json.kinds, expected.kinds);
      assert.deepEqual(json.temp, { count: 1, bytes: 5000, names: [".tmp-ckpt-step-00000060-rolling-x"] });
      assert.deepEqual(json.total, expected.total);
      assert.ok(json.filesystem.available > 0 && json.filesystem.size >= json.filesystem.available);
      const human = await nbresume("du", dir);
      assert.equal(human.code, 0);
      assert.match(human.stdout, new RegExp(`^  rolling\\s+4\\s+${formatBytes(expected.kinds.rolling.bytes).replace(".", "\\.")}$`, "m"));
      assert.match(human.stdout, /^ {2}temp leftovers\s+1\s+4\.88 KiB\s+\.tmp-ckpt-step-00000060-rolling-x$/m);
      assert.match(
        human.stdout,
        new RegExp(`^  ${messages.duFolders().replace(/[()]/g, "\\$&")}\\s+7\\s+${formatBytes(expected.total.bytes).replace(".", "\\.")}$`, "m"),
      );
      assert.match(human.stdout, /^filesystem: .+ size, .+ used, .+ available, \d+% used \(as df counts: used \/ \(used \+ available\)\)$/m);
    });
  });
});
