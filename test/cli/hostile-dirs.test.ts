/**
 * Every CLI command on hostile run directories, as a user runs it (the compiled entry, in a child
 * process): symlinks to `/`, to `..` and out of the run, FIFOs (mkfifo) where files belong,
 * `.lock` pointing elsewhere, 100,000-deep JSON, non-finite metrics, bytes that hash right but are
 * not safetensors, a read-only mount. Each command must finish within a bound with a clear
 * message (never "internal error", never a stack), and a canary file outside the run directory
 * must be neither printed, changed nor deleted.
 */
import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import { readFile, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { checkpointMessages as storeMessages } from "../../src/checkpoint/messages.js";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { forgeManifest } from "../checkpoint/forge-manifest.js";
import { smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeCanary, makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { canMount, mountTmpfs, remountReadOnly, unmount } from "../checkpoint/tmpfs.js";
import { CLI_ENTRY, ROOT, ensureBuilt } from "./compiled-cli.js";

/** Each command finishes within this; they take well under a second when right. */
const BOUND_MS = 20_000;
const COMMAND = ["node", "train.js", "--lr", "1"];
const name = (step: number): string => `ckpt-step-${String(step).padStart(8, "0")}-rolling`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the compiled CLI; a run that does not end within BOUND_MS is killed and fails the test. */
function nbresume(args: readonly string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      { cwd: ROOT, timeout: BOUND_MS, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(
            new Error(`nbresume ${args.join(" ")} did not finish within ${BOUND_MS} ms (${Date.now() - started} ms, ${String(error.signal ?? error.message)})`),
          );
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

async function makeRun(dir: string): Promise<void> {
  const store = await CheckpointStore.open(dir, { keep: { rolling: 10 } });
  try {
    for (const step of [1, 2]) {
      await store.save({ kind: "rolling", step, tensors: smallGroups(step), state: { config: { lr: 1 }, command: COMMAND }, metrics: { loss: 1 / step } });
    }
  } finally {
    await store.close();
  }
}

function mkfifo(file: string): void {
  execFileSync("mkfifo", [file]);
}

async function replaceWithFifo(file: string): Promise<void> {
  await rename(file, `${path.dirname(path.dirname(file))}/moved-${path.basename(file)}`);
  mkfifo(file);
}

interface Setup {
  what: string;
  make(dir: string, canary: { dir: string; file: string }): Promise<void>;
  /** Whether a damaged checkpoint is in the directory (verify and list --verify exit 1). */
  damaged: boolean;
  /** The checkpoint resume-command resumes from (it prints the recorded command). */
  resumes: string;
}

const SETUPS: Setup[] = [
  { what: "a checkpoint-named symlink to /", make: (dir) => symlink("/", path.join(dir, name(9))), damaged: true, resumes: name(2) },
  {
    what: "symlinks to .. and / inside the newest checkpoint",
    make: async (dir) => {
      await symlink("..", path.join(dir, name(2), "loop"));
      await symlink("/", path.join(dir, name(2), "root"));
    },
    damaged: true,
    resumes: name(1),
  },
  {
    what: "a checkpoint-named symlink out of the run directory",
    make: async (dir, canary) => {
      const outside = path.join(canary.dir, "other-run");
      const store = await CheckpointStore.open(outside);
      await store.save({ kind: "rolling", step: 5, tensors: smallGroups(5), state: { config: { lr: 9 }, command: ["evil"] } });
      await store.close();
      await symlink(path.join(outside, name(5)), path.join(dir, name(5)));
    },
    damaged: true,
    resumes: name(2),
  },
  { what: "a FIFO as latest", make: (dir) => replaceWithFifo(path.join(dir, "latest")), damaged: false, resumes: name(2) },
  { what: "a FIFO as the newest manifest.json", make: (dir) => replaceWithFifo(path.join(dir, name(2), "manifest.json")), damaged: true, resumes: name(1) },
  {
    what: "a FIFO as the newest model.safetensors",
    make: (dir) => replaceWithFifo(path.join(dir, name(2), "model.safetensors")),
    damaged: true,
    resumes: name(1),
  },
  { what: "a FIFO as the newest state.json", make: (dir) => replaceWithFifo(path.join(dir, name(2), "state.json")), damaged: true, resumes: name(1) },
  {
    what: "latest as a symlink to a file outside the run",
    make: async (dir, canary) => {
      await rm(path.join(dir, "latest"));
      await symlink(canary.file, path.join(dir, "latest"));
    },
    damaged: false,
    resumes: name(2),
  },
  {
    what: ".lock as a symlink to a directory outside the run",
    make: async (dir, canary) => {
      await writeFile(path.join(canary.dir, ".tmp-999999999-user-file"), "mine");
      await rm(path.join(dir, ".lock"), { recursive: true });
      await symlink(canary.dir, path.join(dir, ".lock"));
    },
    damaged: false,
    resumes: name(2),
  },
  {
    what: "a newest state.json nested 100,000 levels deep",
    make: async (dir) => {
      const file = path.join(dir, name(2), "state.json");
      const text = await readFile(file, "utf8");
      await writeFile(file, text.replace(/"config": \{[^}]*\}/, `"config": {"lr": 1, "deep": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`));
      await forgeManifest(path.join(dir, name(2)));
    },
    damaged: true,
    resumes: name(1),
  },
  {
    what: "a newest model.safetensors whose hash matches but is not safetensors",
    make: async (dir) => {
      const file = path.join(dir, name(2), "model.safetensors");
      const bytes = await readFile(file);
      bytes.writeBigUInt64LE(BigInt(bytes.length), 0);
      await writeFile(file, bytes);
      await forgeManifest(path.join(dir, name(2)));
    },
    damaged: true,
    resumes: name(1),
  },
];

describe("nbresume CLI on hostile run directories (the compiled entry)", function () {
  this.timeout(300_000);
  let configFile: string;
  let scratch: string;

  before(async function () {
    this.timeout(300_000);
    await ensureBuilt();
    scratch = await makeTempDir("cli-hostile-config");
    configFile = path.join(scratch, "config.json");
    await writeFile(configFile, JSON.stringify({ lr: 1 }));
  });
  after(async () => {
    await removeDir(scratch);
  });

  /** Every command the CLI has that reads a run directory, as a user would type it. */
  function commands(dir: string): string[][] {
    return [
      ["list", dir],
      ["list", dir, "--verify"],
      ["list", dir, "--json"],
      ["verify", dir],
      ["verify", dir, "--ref", "latest"],
      ["inspect", dir],
      ["inspect", dir, "--ref", "latest", "--verify"],
      ["prune", dir],
      ["prune", dir, "--yes"],
      ["diff", dir, "--config", configFile],
      ["resume-command", dir],
      ["resume-command", dir, "--ref", "latest"],
      ["du", dir],
      ["export", dir, "--out", path.join(scratch, "model.onnx")],
    ];
  }

  function assertClear(args: readonly string[], r: Result): void {
    const all = `${r.stdout}\n${r.stderr}`;
    assert.ok(r.code === 0 || r.code === 1, `nbresume ${args.join(" ")} exited ${r.code}:\n${all}`);
    assert.ok(!all.includes("internal error"), `nbresume ${args.join(" ")}: ${all}`);
    assert.doesNotMatch(all, /^\s+at /m, `no stack trace: nbresume ${args.join(" ")}:\n${all}`);
    assert.ok(!all.includes("must never read"), `the canary's content was printed by nbresume ${args.join(" ")}`);
  }

  for (const setup of SETUPS) {
    it(`runs every command on ${setup.what} within ${BOUND_MS / 1000} s each, with a clear message, touching nothing outside`, async () => {
      const dir = await makeTempDir("cli-hostile");
      const canary = await makeCanary("cli");
      try {
        await makeRun(dir);
        await setup.make(dir, canary);
        const outside = (await readdir(canary.dir)).sort();
        const results = new Map<string, Result>();
        for (const args of commands(dir)) {
          const r = await nbresume(args);
          assertClear(args, r);
          results.set(args.slice(0, 1).concat(args.slice(2)).join(" "), r);
        }
        const resume = results.get("resume-command")!;
        assert.equal(resume.code, 0, resume.stderr);
        assert.equal(resume.stdout, `${COMMAND.join(" ")}\n`);
        assert.ok(resume.stderr.includes(messages.resumeFrom(setup.resumes, Number(/step-0*(\d+)/.exec(setup.resumes)![1]))), resume.stderr);
        assert.equal(results.get("verify")!.code, setup.damaged ? 1 : 0, results.get("verify")!.stdout);
        assert.equal(results.get("list --verify")!.code, setup.damaged ? 1 : 0);
        await canary.check();
        assert.deepEqual((await readdir(canary.dir)).sort(), outside, "nothing was created or deleted outside the run directory");
      } finally {
        await removeDir(dir);
        await removeDir(canary.dir);
      }
    });
  }

  it("prune --yes refuses a .lock that is a symlink, saying what to remove, and writes nothing through it", async () => {
    const dir = await makeTempDir("cli-hostile-lock");
    const canary = await makeCanary("cli-lock");
    try {
      await makeRun(dir);
      await rm(path.join(dir, ".lock"), { recursive: true });
      await symlink(canary.dir, path.join(dir, ".lock"));
      const r = await nbresume(["prune", dir, "--yes"]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(`error: ${storeMessages.lockNotDirectory(path.join(dir, ".lock"), "a symbolic link")}`), r.stderr);
      assert.ok(r.stderr.includes(`hint: ${messages.hintFor("CHECKPOINT_LOCK_UNREADABLE")!}`), r.stderr);
      await canary.check();
    } finally {
      await removeDir(dir);
      await removeDir(canary.dir);
    }
  });

  it("verify flags a checkpoint whose metrics are not finite, and resume-command says it passed over it", async () => {
    const dir = await makeTempDir("cli-diverged");
    try {
      await makeRun(dir);
      const store = await CheckpointStore.open(dir, { keep: { rolling: 10 } });
      await store.save({ kind: "rolling", step: 3, tensors: smallGroups(3), state: { config: { lr: 1 }, command: COMMAND }, metrics: { loss: Number.NaN } });
      await store.close();
      const verify = await nbresume(["verify", dir]);
      assert.equal(verify.code, 1);
      const problem = storeMessages.fileInvalid("manifest.json", storeMessages.diverged(["loss = NaN"]));
      assert.ok(verify.stdout.includes(`✗ ${problem}`), verify.stdout);
      const resume = await nbresume(["resume-command", dir]);
      assert.equal(resume.code, 0);
      assert.ok(resume.stderr.includes(messages.skipped(name(3), problem, name(2))), resume.stderr);
      assert.ok(resume.stderr.includes(messages.resumeFrom(name(2), 2)), resume.stderr);
    } finally {
      await removeDir(dir);
    }
  });

  it(`prune --yes on a read-only run directory (${canMount ? "a read-only tmpfs" : "mount not permitted: chmod 555"}) says it cannot write there; the other commands still work`, async function () {
    const mountPoint = await makeTempDir("cli-read-only");
    const dir = path.join(mountPoint, "run");
    try {
      if (canMount) mountTmpfs(mountPoint, 64 * 1024 * 1024); // room for the store's 16 MiB free-space margin
      await makeRun(dir);
      if (canMount) remountReadOnly(mountPoint);
      else execFileSync("chmod", ["-R", "a-w", dir]);
      const r = await nbresume(["prune", dir, "--yes"]);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`error: Checkpoint directory ${dir} cannot be written: taking the writer lock in ${dir}/.lock failed with E`), r.stderr);
      assert.ok(r.stderr.includes(`hint: ${messages.hintFor("CHECKPOINT_DIR_NOT_WRITABLE")!}`), r.stderr);
      for (const args of [
        ["list", dir],
        ["verify", dir],
        ["resume-command", dir],
        ["prune", dir],
        ["du", dir],
      ]) {
        const ok = await nbresume(args);
        assert.equal(ok.code, 0, `${args.join(" ")}: ${ok.stderr}`);
      }
    } finally {
      if (canMount) unmount(mountPoint);
      else execFileSync("chmod", ["-R", "u+w", mountPoint]);
      await removeDir(mountPoint);
    }
  });

  it("diff refuses a --config file nested deeper than any run's config as a usage error, not an internal one", async () => {
    const dir = await makeTempDir("cli-deep-config");
    try {
      await makeRun(dir);
      const deep = path.join(scratch, "deep.json");
      await writeFile(deep, `{"lr": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
      const r = await nbresume(["diff", dir, "--config", deep]);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.startsWith(`nbresume: ${messages.configTooDeep(deep, 256)}`), r.stderr);
    } finally {
      await removeDir(dir);
    }
  });

  it("diff shows a dropped key named constructor or toString as removed, never as a function", async () => {
    const dir = await makeTempDir("cli-proto-keys");
    try {
      const store = await CheckpointStore.open(dir);
      await store.save({
        kind: "rolling",
        step: 1,
        tensors: smallGroups(1),
        state: { config: JSON.parse('{"lr": 1, "constructor": 2, "toString": "x"}') as object, command: COMMAND },
      });
      await store.close();
      const r = await nbresume(["diff", dir, "--config", configFile, "--json"]);
      assert.equal(r.code, 1, r.stderr);
      const json = JSON.parse(r.stdout) as { changed: unknown[]; removed: { path: string; value: unknown }[] };
      assert.deepEqual(json.changed, []);
      assert.deepEqual(json.removed, [
        { path: "constructor", value: 2 },
        { path: "toString", value: "x" },
      ]);
      const human = await nbresume(["diff", dir, "--config", configFile]);
      assert.doesNotMatch(human.stdout, /Function/);
    } finally {
      await removeDir(dir);
    }
  });
});
