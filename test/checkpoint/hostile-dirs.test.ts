/**
 * Run directories are untrusted too. Each test builds a hostile directory for real (symlinks to
 * `/`, to `..` and out of the run, FIFOs made with mkfifo, a sparse file, JSON nested 100,000 deep)
 * beside a canary file outside the run directory, then checks that every store call on it finishes
 * within a bound with a clear problem, that the resume path (a writable open, then
 * resolveAndLoad("auto")) falls back to the checkpoint that is good, and that the canary was
 * neither read into a message, changed nor deleted.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { lstat, mkdir, open, readFile, readdir, rename, symlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointErrorCode, CheckpointStore } from "../../src/checkpoint/index.js";
import { MAX_JSON_DEPTH } from "../../src/checkpoint/json-depth.js";
import { parseManifest, serializeManifest } from "../../src/checkpoint/manifest.js";
import { invalidContent, checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import type { CheckpointProblem, ExpectedTensors } from "../../src/checkpoint/store.js";
import { isNbresumeError } from "../../src/errors.js";
import { forgeManifest } from "./forge-manifest.js";
import { patterned, smallGroups } from "./patterned-tensors.js";
import { makeCanary, makeTempDir, removeDir } from "./temp-dirs.js";
import { within } from "../support/within.js";

/** Every call on a hostile directory finishes well within this (they take milliseconds when right). */
const BOUND_MS = 10_000;

const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

function mkfifo(file: string): void {
  execFileSync("mkfifo", [file]);
}

/** Two good checkpoints (steps 1 and 2) written by the real store; `latest` names step 2. */
async function twoCheckpoints(dir: string): Promise<void> {
  const store = await CheckpointStore.open(dir, { keep: { rolling: 10 } });
  try {
    await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1), state: { config: { lr: 1 } }, metrics: { loss: 1 } });
    await store.save({ kind: "rolling", step: 2, tensors: smallGroups(2), state: { config: { lr: 1 } }, metrics: { loss: 0.5 } });
  } finally {
    await store.close();
  }
}

/** The peak RSS growth while `fn` runs, sampled every 5 ms. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

/** What smallGroups() holds, as a model would say it expects it. */
const EXPECTED: ExpectedTensors = {
  model: { w: { dtype: "float32", shape: [64, 32] }, b: { dtype: "float32", shape: [32] } },
};

interface Hostile {
  /** What the directory holds, as the test name says it. */
  what: string;
  /** Makes the run directory hostile (after twoCheckpoints); `canary` is the file outside it. */
  make(dir: string, canary: { dir: string; file: string }): Promise<void>;
  /** The checkpoint the resume path must land on. */
  resumes: number;
  /** The problem the skipped checkpoint (or pointer) must name. */
  skipped?: { name: string; problem: RegExp };
}

const HOSTILE: Hostile[] = [
  {
    what: "a checkpoint-named symlink to /",
    make: (dir) => symlink("/", path.join(dir, name(9))),
    resumes: 2,
    skipped: { name: name(9), problem: new RegExp(`^${name(9)}: a symbolic link, not a checkpoint directory`) },
  },
  {
    what: "symlinks to .. and to / inside the newest checkpoint",
    make: async (dir) => {
      await symlink("..", path.join(dir, name(2), "loop"));
      await symlink("/", path.join(dir, name(2), "root"));
    },
    resumes: 1,
    skipped: { name: name(2), problem: /loop: a symbolic link inside the checkpoint/ },
  },
  {
    what: "a checkpoint-named symlink to a checkpoint outside the run directory",
    make: async (dir, canary) => {
      // A complete, valid checkpoint of step 5 outside the root: it must be neither read nor resumed.
      const outside = path.join(canary.dir, "elsewhere");
      const store = await CheckpointStore.open(outside);
      await store.save({ kind: "rolling", step: 5, tensors: smallGroups(5) });
      await store.close();
      await symlink(path.join(outside, name(5)), path.join(dir, name(5)));
    },
    resumes: 2,
    skipped: { name: name(5), problem: /a symbolic link, not a checkpoint directory/ },
  },
  {
    what: "a FIFO in place of the newest checkpoint's manifest.json",
    make: async (dir) => {
      const file = path.join(dir, name(2), "manifest.json");
      await rename(file, `${file}.moved`);
      mkfifo(file);
    },
    resumes: 1,
    skipped: { name: name(2), problem: /manifest\.json: a FIFO/ },
  },
  {
    what: "a FIFO in place of the newest checkpoint's model.safetensors",
    make: async (dir) => {
      const file = path.join(dir, name(2), "model.safetensors");
      await rename(file, path.join(dir, "moved-away"));
      mkfifo(file);
    },
    resumes: 1,
    skipped: { name: name(2), problem: /model\.safetensors: a FIFO/ },
  },
  {
    what: "a FIFO in place of latest",
    make: async (dir) => {
      await rename(path.join(dir, "latest"), path.join(dir, "latest.old"));
      mkfifo(path.join(dir, "latest"));
    },
    resumes: 2,
  },
  {
    what: "latest as a symlink to a file outside the run directory",
    make: async (dir, canary) => {
      await rename(path.join(dir, "latest"), path.join(dir, "latest.old"));
      await symlink(canary.file, path.join(dir, "latest"));
    },
    resumes: 2,
  },
];

describe("a hostile run directory: nothing followed out of it, nothing but regular files opened, every call bounded", function () {
  this.timeout(60_000);
  let dir: string;
  let canary: Awaited<ReturnType<typeof makeCanary>>;
  beforeEach(async () => {
    dir = await makeTempDir("hostile");
    canary = await makeCanary("store");
    await twoCheckpoints(dir);
  });
  afterEach(async () => {
    await canary.check();
    await removeDir(dir);
    await removeDir(canary.dir);
  });

  /** Everything a message or a result says, to look for the canary's content in it. */
  function assertNoCanaryContent(value: unknown): void {
    const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? v.message : v));
    assert.ok(!text.includes("must never read"), `the canary's content leaked: ${text.slice(0, 300)}`);
  }

  for (const h of HOSTILE) {
    it(`lists, verifies and resolves ${h.what} within ${BOUND_MS / 1000} s, naming the problem`, async () => {
      await h.make(dir, canary);
      const reader = await CheckpointStore.open(dir, { readOnly: true });
      try {
        const listing = await within(BOUND_MS, "list()", reader.list());
        const verified = await within(BOUND_MS, "list({ verify: true })", reader.list({ verify: true }));
        assert.equal(verified.checkpoints.find((c) => c.step === h.resumes)?.verified, true, "the good checkpoint verifies");
        if (h.skipped) {
          const listed = verified.checkpoints.find((c) => c.name === h.skipped!.name);
          assert.ok(listed, `${h.skipped.name} is listed, as a damaged one is`);
          assert.equal(listed.verified, false);
          assert.ok(
            (listed.problems ?? []).some((p) => h.skipped!.problem.test(p.message)),
            JSON.stringify(listed.problems),
          );
          const check = await within(BOUND_MS, "verify()", reader.verify(listed.path));
          assert.equal(check.ok, false);
          assert.ok(
            check.problems.some((p) => h.skipped!.problem.test(p.message)),
            JSON.stringify(check.problems),
          );
        }
        for (const ref of ["auto", "latest"] as const) {
          const hit = await within(BOUND_MS, `resolve(${ref})`, reader.resolve(ref));
          assert.equal(hit?.step, h.resumes, `${ref} → ${hit?.name}`);
          assertNoCanaryContent(hit);
        }
        assertNoCanaryContent(listing);
      } finally {
        await reader.close();
      }
    });

    it(`resumes past ${h.what}: a writable open and resolveAndLoad("auto") within ${BOUND_MS / 1000} s`, async () => {
      await h.make(dir, canary);
      const store = await within(BOUND_MS, "a writable open", CheckpointStore.open(dir));
      try {
        // The open left `latest` a regular file naming the newest checkpoint that is not plainly damaged.
        assert.ok((await lstat(path.join(dir, "latest"))).isFile(), "latest is a regular file");
        assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), name(h.resumes));
        const loaded = await within(BOUND_MS, "resolveAndLoad(auto)", store.resolveAndLoad("auto"));
        assert.equal(loaded?.step, h.resumes);
        if (h.skipped) {
          const skipped = loaded?.skipped.find((s) => s.name === h.skipped!.name);
          assert.ok(skipped, `skipped ${h.skipped.name}: ${JSON.stringify(loaded?.skipped)}`);
          assert.match(skipped.problem, h.skipped.problem);
        }
        assertNoCanaryContent(loaded?.skipped);
        // The store still saves beside it.
        assert.equal((await store.save({ kind: "rolling", step: 10, tensors: smallGroups(10) })).step, 10);
      } finally {
        await store.close();
      }
    });
  }

  it("reports latest as a symlink without echoing the file it points at", async () => {
    await rename(path.join(dir, "latest"), path.join(dir, "latest.old"));
    await symlink(canary.file, path.join(dir, "latest"));
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const hit = await reader.resolve("latest");
      assert.equal(hit?.skipped[0]?.name, "latest");
      assert.equal(hit?.skipped[0]?.problem, messages.latestProblem(messages.latestSpecial("a symbolic link")));
    } finally {
      await reader.close();
    }
  });

  it("reports latest as a FIFO, and a writable open replaces it with a pointer to the newest checkpoint", async () => {
    await rename(path.join(dir, "latest"), path.join(dir, "latest.old"));
    mkfifo(path.join(dir, "latest"));
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const hit = await within(BOUND_MS, "resolve(latest)", reader.resolve("latest"));
      assert.equal(hit?.skipped[0]?.problem, messages.latestProblem(messages.latestSpecial("a FIFO")));
    } finally {
      await reader.close();
    }
    const store = await within(BOUND_MS, "a writable open", CheckpointStore.open(dir));
    await store.close();
    assert.ok((await lstat(path.join(dir, "latest"))).isFile());
    assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), name(2));
  });

  it("never writes lock records into, nor deletes files from, a directory .lock points to", async () => {
    // The directory .lock links to holds a file named like a dead process's lock temp file.
    const victim = path.join(canary.dir, ".tmp-999999999-user-file");
    await writeFile(victim, "mine");
    await removeDir(path.join(dir, ".lock"));
    await symlink(canary.dir, path.join(dir, ".lock"));
    await assert.rejects(within(BOUND_MS, "a writable open", CheckpointStore.open(dir)), (e: unknown) => {
      assert.ok(isNbresumeError(e, CheckpointErrorCode.LOCK_UNREADABLE), String(e));
      assert.equal(e.message, messages.lockNotDirectory(path.join(dir, ".lock"), "a symbolic link"));
      return true;
    });
    assert.equal(await readFile(victim, "utf8"), "mine", "a user's .tmp-<dead pid>-… file is not deleted");
    assert.deepEqual((await readdir(canary.dir)).sort(), [".tmp-999999999-user-file", "precious.txt"], "no lock record written there");
    // Reading needs no lock.
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    assert.equal((await reader.resolve("auto"))?.step, 2);
    await reader.close();
  });

  it("removes a .tmp-… symlink left in the run directory without touching what it points to", async () => {
    await symlink(canary.dir, path.join(dir, ".tmp-ckpt-step-00000003-rolling-1-abcd"));
    const store = await CheckpointStore.open(dir);
    await store.close();
    assert.ok(!(await readdir(dir)).some((n) => n.startsWith(".tmp-")), "the link is gone");
    // canary.check() in afterEach: what it pointed to is intact.
  });

  it("falls back past state.json nested 100,000 levels deep instead of overflowing the stack, and diffs say why", async () => {
    const file = path.join(dir, name(2), "state.json");
    const text = (await readFile(file, "utf8")).trimEnd();
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    // The deep value sits in config, which resume and `nbresume diff` walk.
    await writeFile(file, text.replace(/"config": \{[^}]*\}/, `"config": {"lr": 1, "layers": ${deep}}`));
    await forgeManifest(path.join(dir, name(2)));
    const store = await CheckpointStore.open(dir);
    try {
      const loaded = await within(BOUND_MS, "resolveAndLoad(auto)", store.resolveAndLoad("auto"));
      assert.equal(loaded?.step, 1);
      assert.equal(loaded?.skipped[0]?.problem, messages.fileInvalid("state.json", invalidContent.tooDeep(MAX_JSON_DEPTH)));
      await assert.rejects(
        store.diffConfig("step:2", { lr: 1 }),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CORRUPT) && e.message.includes("nested more than"),
      );
    } finally {
      await store.close();
    }
  });

  it("refuses to save a state nested deeper than it would read back", async () => {
    const store = await CheckpointStore.open(dir);
    try {
      let deep: unknown = 1;
      for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = [deep];
      await assert.rejects(async () => store.save({ kind: "rolling", step: 3, tensors: smallGroups(3), state: { deep } }), {
        name: "TypeError",
        message: /nests more than 256 levels/,
      });
    } finally {
      await store.close();
    }
  });

  describe("a 1 GiB sparse model.safetensors whose manifest lists its size", () => {
    /** Replace the newest checkpoint's model with a sparse file whose header asks for one huge tensor. */
    async function sparseModel(): Promise<number> {
      const size = GiB;
      const header = (n: number) => JSON.stringify({ w: { dtype: "F32", shape: [n], data_offsets: [0, n * 4] } });
      // The header's length decides how much data follows it: settle on an n that fills the file exactly.
      let n = Math.floor((size - 8 - 64) / 4);
      let text = header(n);
      for (;;) {
        const pad = size - 8 - text.length - n * 4;
        if (pad >= 0) {
          text += " ".repeat(pad);
          break;
        }
        n--;
        text = header(n);
      }
      const file = path.join(dir, name(2), "model.safetensors");
      const handle = await open(file, "w");
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(text.length));
      await handle.write(Buffer.concat([length, Buffer.from(text)]), 0, 8 + text.length, 0);
      await handle.truncate(size);
      await handle.close();
      const manifestFile = path.join(dir, name(2), "manifest.json");
      const manifest = parseManifest(await readFile(manifestFile));
      // The size matches; the hash is whatever the forger wrote (hashing 1 GiB of holes takes seconds).
      manifest.files["model.safetensors"] = { bytes: size, hash: "xxh64:0123456789abcdef" };
      await writeFile(manifestFile, serializeManifest(manifest));
      return n;
    }

    it("is refused at once against the tensors the model expects, without allocating it", async function () {
      const n = await sparseModel();
      const store = await CheckpointStore.open(dir);
      try {
        const t0 = performance.now();
        const { value: loaded, growth } = await peakRssGrowth(() =>
          within(BOUND_MS, "resolveAndLoad(auto, expect)", store.resolveAndLoad("auto", { expect: EXPECTED })),
        );
        assert.equal(loaded?.step, 1);
        assert.equal(
          loaded?.skipped[0]?.problem,
          messages.unexpectedTensors("model.safetensors", `tensor "w" is float32 [${n}], the model expects float32 [64, 32]`),
        );
        assert.ok(performance.now() - t0 < 2000, `took ${(performance.now() - t0).toFixed(0)} ms`);
        assert.ok(growth < 200 * MiB, `RSS grew ${(growth / MiB).toFixed(0)} MiB`);
      } finally {
        await store.close();
      }
    });

    it("is hashed before anything is allocated from its header when no expectation is given", async function () {
      await sparseModel();
      const store = await CheckpointStore.open(dir);
      try {
        const { value: loaded, growth } = await peakRssGrowth(() => within(30_000, "resolveAndLoad(auto)", store.resolveAndLoad("auto")));
        assert.equal(loaded?.step, 1);
        assert.match(loaded?.skipped[0]?.problem ?? "", /^model\.safetensors: hash xxh64:0123456789abcdef expected/);
        assert.ok(growth < 256 * MiB, `RSS grew ${(growth / MiB).toFixed(0)} MiB: the 1 GiB tensor was allocated`);
      } finally {
        await store.close();
      }
    });
  });

  it("refuses a checkpoint larger than the memory available before allocating anything", async () => {
    const manifestFile = path.join(dir, name(2), "manifest.json");
    const manifest = parseManifest(await readFile(manifestFile));
    // Checked against the manifest before any data file is opened: the file itself can stay as it is.
    manifest.files["model.safetensors"] = { bytes: 1024 * GiB, hash: "xxh64:0123456789abcdef" };
    await writeFile(manifestFile, serializeManifest(manifest));
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const loaded = await within(BOUND_MS, "resolveAndLoad(auto)", store.resolveAndLoad("auto"));
      assert.equal(loaded?.step, 1);
      assert.match(
        loaded?.skipped[0]?.problem ?? "",
        /^model\.safetensors: loading the checkpoint needs [\d.]+ MiB of memory, only [\d.]+ MiB is available \(refused before allocating\)$/,
      );
    } finally {
      await store.close();
    }
  });

  it("verify() checks the safetensors format too: a file whose hash matches but is not safetensors fails", async () => {
    const file = path.join(dir, name(2), "model.safetensors");
    const bytes = await readFile(file);
    bytes.writeBigUInt64LE(BigInt(bytes.length), 0); // a header length past the end of the file
    await writeFile(file, bytes);
    await forgeManifest(path.join(dir, name(2)));
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const result = await reader.verify(name(2));
      assert.equal(result.ok, false);
      assert.deepEqual(
        result.problems.map((p: CheckpointProblem) => [p.file, p.kind]),
        [["model.safetensors", "invalid"]],
      );
      assert.match(result.problems[0]?.message ?? "", /^model\.safetensors: the header length field says \d+ bytes, but the file has only/);
      // The load rejects it as well, and falls back.
      assert.equal((await reader.resolveAndLoad("auto"))?.step, 1);
      const listed = (await reader.list({ verify: true })).checkpoints.find((c) => c.step === 2);
      assert.equal(listed?.verified, false);
    } finally {
      await reader.close();
    }
  });

  describe("a checkpoint whose metrics are not finite (the run had diverged)", () => {
    it("is flagged by verify(), passed over by auto and latest (saying so), and still loads when named", async () => {
      const store = await CheckpointStore.open(dir, { keep: { rolling: 10 }, bestMetric: { name: "val_loss", mode: "min" } });
      try {
        await store.save({ kind: "rolling", step: 3, tensors: smallGroups(3), metrics: { loss: Number.NaN, val_loss: 1e30 } });
        const check = await store.verify(name(3));
        assert.equal(check.ok, false);
        assert.deepEqual(check.problems, [
          { file: "manifest.json", kind: "diverged", message: messages.fileInvalid("manifest.json", messages.diverged(["loss = NaN"])) },
        ]);
        for (const ref of ["auto", "latest"] as const) {
          const loaded = await store.resolveAndLoad(ref);
          assert.equal(loaded?.step, 2, ref);
          assert.equal(loaded?.skipped.at(-1)?.name, name(3));
          assert.equal(loaded?.skipped.at(-1)?.problem, check.problems[0]?.message);
          assert.equal((await store.resolve(ref))?.step, 2);
        }
        assert.ok(Number.isNaN((await store.load("step:3")).metrics.loss), "named explicitly, it loads");
        const listing = await store.list({ verify: true });
        assert.equal(listing.checkpoints.find((c) => c.step === 3)?.verified, false);
      } finally {
        await store.close();
      }
    });

    it("fails auto with every diverged checkpoint named when none is good, instead of resuming into one", async () => {
      const other = await makeTempDir("diverged");
      try {
        const store = await CheckpointStore.open(other);
        await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1), metrics: { val_loss: Number.POSITIVE_INFINITY } });
        await assert.rejects(store.resolveAndLoad("auto"), (e: unknown) => {
          assert.ok(isNbresumeError(e, CheckpointErrorCode.CORRUPT), String(e));
          // Stored as null, read back as NaN.
          assert.ok(e.message.includes(`${name(1)} (manifest.json: val_loss = NaN is not finite`), e.message);
          return true;
        });
        await store.close();
      } finally {
        await removeDir(other);
      }
    });
  });

  it("repairs a latest pointer a crash left behind (committed, pointer not yet moved) on the next writable open", async () => {
    // The state a SIGKILL between the commit rename and the pointer's update leaves: latest names step 1.
    await writeFile(path.join(dir, "latest"), `${name(1)}\n`);
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    assert.equal((await reader.resolve("latest"))?.step, 1, "a reader changes nothing");
    await reader.close();
    const store = await CheckpointStore.open(dir);
    await store.close();
    assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), name(2));
  });

  it("keeps a latest pointer to an older step that was set on purpose (a roll-back), and repairs a dangling one", async () => {
    // Older by step but newer in time: a roll-back's target after newer checkpoints were moved aside.
    const store = await CheckpointStore.open(dir);
    await store.save({ kind: "emergency", step: 1, tensors: smallGroups(1) });
    await store.close();
    await writeFile(path.join(dir, "latest"), `${name(1, "emergency")}\n`);
    await (await CheckpointStore.open(dir)).close();
    assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), name(1, "emergency"));
    await writeFile(path.join(dir, "latest"), `${name(77)}\n`);
    await (await CheckpointStore.open(dir)).close();
    assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), name(2));
  });

  it("reads a metric named __proto__ or constructor back as an ordinary metric", async () => {
    const store = await CheckpointStore.open(dir, { keep: { rolling: 10 } });
    try {
      const metrics = JSON.parse('{"__proto__": 0.5, "constructor": 0.25, "toString": 1}') as Record<string, number>;
      const saved = await store.save({ kind: "rolling", step: 3, tensors: { model: { w: patterned(3, [4]) } }, metrics });
      const loaded = await store.load(saved);
      assert.deepEqual(Object.entries(loaded.metrics).sort(), [
        ["__proto__", 0.5],
        ["constructor", 0.25],
        ["toString", 1],
      ]);
      assert.equal((await store.verify(saved)).ok, true);
    } finally {
      await store.close();
    }
  });

  it("does not size a checkpoint with more entries than a checkpoint holds: bounded, and reported", async () => {
    const junk = path.join(dir, name(2), "junk");
    await mkdir(junk);
    for (let i = 0; i < 4200; i++) await writeFile(path.join(junk, `f${i}`), "");
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const listed = (await reader.list()).checkpoints.find((c) => c.step === 2);
      assert.deepEqual(
        listed?.problems?.map((p) => p.message),
        [messages.tooManyEntries(4096)],
      );
    } finally {
      await reader.close();
    }
  });
});
