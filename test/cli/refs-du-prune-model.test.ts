/**
 * The CLI as users meet it (the compiled entry in a child process): every command resolves a ref
 * the same way and says the same thing when it passes over a damaged checkpoint; du counts what a
 * roll-back set aside and reads the filesystem as df does; prune shows metric values as the rest
 * of the output does; inspect shows the model a checkpoint describes; and every command works on a
 * run in a bucket (s3://…, configured by the AWS_* environment, as AWS tools are).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { promises as fsp, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { cliMessages } from "../../src/cli/messages.js";
import { formatLoss } from "../../src/shared/format.js";
import { rollBack } from "../../src/run/roll-back.js";
import { smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { mlpRun } from "../run/mlp-run.js";
import { awsEnv, startS3, type TestS3 } from "../storage/s3-server.js";
import { ensureBuilt, nbresume, nbresumeIn, nbresumeJson } from "./compiled-cli.js";

const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

async function flipByte(file: string, at: number): Promise<void> {
  const bytes = await fsp.readFile(file);
  bytes[at] = (bytes[at] as number) ^ 0xff;
  await fsp.writeFile(file, bytes);
}

describe("nbresume CLI: refs, du, prune, the model, and runs in a bucket (the compiled CLI)", function () {
  this.timeout(180_000);
  const scratch: string[] = [];
  let run: string; // a real run: rolling 40, final 80 (and its graphs)

  before(async function () {
    this.timeout(300_000); // a tsc build when dist/ is older than src/
    await ensureBuilt();
    const dir = await makeTempDir("cli-refs");
    scratch.push(dir);
    run = path.join(dir, "run");
    await (await mlpRun(run, { steps: 80, command: ["node", "train.js"] })).train();
  });
  after(async () => {
    for (const d of scratch) await removeDir(d);
  });

  async function copyOfRun(): Promise<string> {
    const dir = await makeTempDir("cli-refs-copy");
    scratch.push(dir);
    await fsp.cp(run, path.join(dir, "run"), { recursive: true });
    return path.join(dir, "run");
  }

  it("resolves a ref the same way in every command: a damaged newest checkpoint is named with the same note and passed over", async () => {
    const dir = await copyOfRun();
    const listing = (await nbresumeJson<{ checkpoints: { name: string }[] }>("list", dir)).json.checkpoints.map((c) => c.name);
    const [newest, next] = [listing.at(-1)!, listing.at(-2)!];
    await flipByte(path.join(dir, newest, "model.safetensors"), 200);
    const config = path.join(dir, "..", "config.json");
    await fsp.writeFile(config, "{}");
    const out = path.join(dir, "..", "model.onnx");
    const runs = {
      inspect: await nbresume("inspect", dir),
      verify: await nbresume("verify", dir, "--ref", "auto"),
      diff: await nbresume("diff", dir, "--config", config),
      export: await nbresume("export", dir, "--out", out),
      "resume-command": await nbresume("resume-command", dir),
    };
    const notes = Object.entries(runs).map(([command, r]) => [command, r.stderr.split("\n").find((l) => l.startsWith("note: "))]);
    const expected = notes[0]![1]!;
    assert.match(
      expected,
      new RegExp(
        `^note: ${newest} is damaged \\(model\\.safetensors: hash xxh64:[0-9a-f]{16} expected, xxh64:[0-9a-f]{16} found .*\\); using ${next} instead\\.$`,
      ),
    );
    for (const [command, note] of notes) assert.equal(note, expected, `${command} says it the same way`);
    assert.match(runs.inspect.stdout, new RegExp(`^Checkpoint ${path.join(dir, next)}$`, "m"));
    assert.match(runs.inspect.stdout, /verified: ok/);
    assert.equal(runs.inspect.code, 0);
    assert.equal(runs.verify.code, 1, "verify reports the damage it found, and checks the one a rerun uses");
    assert.match(runs.verify.stdout, new RegExp(`ok\\s+${next}`));
    assert.equal(runs.export.code, 0, runs.export.stderr);
    assert.match(runs.export.stdout, new RegExp(`from ${next}`));
    // Named directly, the damaged checkpoint is shown as it is.
    const direct = await nbresume("inspect", path.join(dir, newest));
    assert.equal(direct.code, 1);
    assert.match(direct.stdout, /verified: FAILED/);
    assert.doesNotMatch(direct.stderr, /^note: /m);
  });

  it("counts rolled-back folders in du's total and reports the filesystem's use as df does", async () => {
    const dir = await copyOfRun();
    const before = (await nbresumeJson<{ total: { count: number; bytes: number }; everything: { bytes: number } }>("du", dir)).json;
    const latestBefore = statSync(path.join(dir, "latest")).size;
    const rolled = await rollBack(dir, "step:40");
    assert.ok(rolled.moved.length > 0);
    const { code, json } = await nbresumeJson<{
      setAside: { count: number; bytes: number; names: string[] };
      total: { count: number; bytes: number };
      everything: { bytes: number };
      checkpoints: { bytes: number };
      filesystem: { size: number; used: number; available: number; usePercent: number };
    }>("du", dir);
    assert.equal(code, 0);
    assert.deepEqual(json.setAside.names, [path.basename(rolled.aside!)]);
    // The folder holds the checkpoints, their sample grids and a copy of the run's record (and a latest of its own).
    const inFolder = readdirSync(rolled.aside!).filter((n) => !n.startsWith("ckpt-"));
    const extra = inFolder.reduce((s, n) => s + statSync(path.join(rolled.aside!, n)).size, 0);
    const copied = ["metrics.jsonl", "loss.png", "summary.json", "latest"].reduce((s, n) => s + statSync(path.join(rolled.aside!, n)).size, 0);
    assert.equal(json.setAside.bytes, rolled.bytes + extra);
    assert.equal(json.total.bytes, before.total.bytes + extra, "moving checkpoints aside frees nothing: the total still counts them, and their grids");
    const latestChange = statSync(path.join(dir, "latest")).size - latestBefore;
    assert.equal(json.everything.bytes, before.everything.bytes + copied + latestChange, "the run's files and the folder's: only the record's copy is new");
    // df -P: Used, Available and Capacity (Use%) of the same filesystem.
    const [, used, available, capacity] = /\s(\d+)\s+(\d+)\s+(\d+)%/
      .exec(execFileSync("df", ["-P", "-B1", dir], { encoding: "utf8" }).split("\n")[1]!)!
      .map(Number);
    assert.ok(Math.abs(json.filesystem.usePercent - capacity!) <= 1, `du says ${json.filesystem.usePercent}%, df says ${capacity}%`);
    assert.ok(Math.abs(json.filesystem.used - used!) < 64 * 1024 * 1024 && Math.abs(json.filesystem.available - available!) < 64 * 1024 * 1024);
    const human = await nbresume("du", dir);
    assert.match(human.stdout, new RegExp(`^  rolled back\\s+1\\s+\\S+ \\S+\\s+${path.basename(rolled.aside!)}$`, "m"));
    assert.match(
      human.stdout,
      new RegExp(`^filesystem: .+ used, .+ available, ${json.filesystem.usePercent}% used \\(as df counts: used / \\(used \\+ available\\)\\)$`, "m"),
    );
  });

  it("prints metric values in prune's reasons as the rest of the output does", async () => {
    const dir = await makeTempDir("cli-prune-format");
    scratch.push(dir);
    const value = 0.0001737585819986028;
    const store = await CheckpointStore.open(dir, { bestMetric: { name: "val_loss", mode: "min" } });
    await store.save({
      kind: "rolling",
      step: 1,
      tensors: smallGroups(1),
      metrics: { val_loss: value },
      state: { bestMetric: { name: "val_loss", mode: "min" } },
    });
    await store.save({
      kind: "rolling",
      step: 2,
      tensors: smallGroups(2),
      metrics: { val_loss: 0.25 },
      state: { bestMetric: { name: "val_loss", mode: "min" } },
    });
    await store.close();
    const { code, stdout } = await nbresume("prune", dir);
    assert.equal(code, 0);
    assert.ok(stdout.includes(`current best (val_loss = ${formatLoss(value)})`), stdout);
    assert.ok(stdout.includes(`val_loss = ${formatLoss(0.25)}`), stdout);
    assert.doesNotMatch(stdout, /0\.000173758/);
    const list = await nbresume("list", dir);
    assert.ok(list.stdout.includes(`val_loss=${formatLoss(value)}`), "the same form as list's METRICS column");
  });

  it("shows the model a checkpoint describes: its stored graphs (checked against their names), previews and fingerprint", async () => {
    const dir = await copyOfRun();
    const { code, json } = await nbresumeJson<{
      model: {
        fingerprint: string;
        graphs: {
          graph: string;
          batchSize: number;
          sha256: string;
          inputs: Record<string, { shape: number[] }>;
          outputs: Record<string, unknown>;
          file: string;
          status: { kind: string };
        }[];
        previews: { kind: string }[];
      };
    }>("inspect", dir);
    assert.equal(code, 0);
    assert.match(json.model.fingerprint, /\S/);
    const predict = json.model.graphs.find((g) => g.graph === "predict" && g.batchSize === 1);
    assert.ok(predict, JSON.stringify(json.model.graphs));
    assert.equal(predict.status.kind, "ok");
    assert.equal(predict.file, path.join(dir, "graphs", `${predict.sha256}.onnx`));
    assert.deepEqual(Object.values(predict.inputs)[0]?.shape, [1, 784]);
    assert.ok(json.model.previews.length > 0);
    const human = await nbresume("inspect", dir);
    assert.match(human.stdout, /^Model \(state\.json "model"\)$/m);
    assert.match(human.stdout, /^ {2}graph predict · batch 1 · .+ · verified \(SHA-256 matches its name, \d+ nodes\)$/m);
    assert.match(human.stdout, /^ {4}inputs: \S+ float32 \[1, 784\]/m);
    // A graph file changed or gone: said so, and the exit code says a part is wrong.
    await flipByte(predict.file, 10);
    const damaged = await nbresume("inspect", dir);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stdout, /graph predict · batch 1 · .+ · DAMAGED \(its SHA-256 is [0-9a-f]{16}…, not its name\)/);
    await fsp.rm(predict.file);
    assert.match((await nbresume("inspect", dir)).stdout, /graph predict · batch 1 · .+ · MISSING/);
  });

  describe("on a run in a bucket (s3://…)", () => {
    let s3: TestS3;
    let env: Record<string, string>;
    const url = "s3://cli-bucket/runs/mlp";

    before(async () => {
      s3 = await startS3();
      await s3.createBucket("cli-bucket");
      env = awsEnv(s3);
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      try {
        const dir = await makeTempDir("cli-bucket-run");
        scratch.push(dir);
        await (await mlpRun(path.join(dir, "run"), { steps: 80, checkpointStore: { mirror: url } })).train();
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    });
    after(async () => s3.close());

    it("lists, verifies, inspects, diffs, exports, shows disk usage and prunes it", async () => {
      const list = await nbresumeIn(env, "list", url, "--verify");
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^Checkpoints in ${url}$`, "m"));
      assert.match(list.stdout, new RegExp(`^latest → ${name(80, "final")}`, "m"));
      const verify = await nbresumeIn(env, "verify", url);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const inspect = await nbresumeIn(env, "inspect", `${url}/${name(80, "final")}`);
      assert.equal(inspect.code, 0, inspect.stderr);
      assert.match(inspect.stdout, new RegExp(`^Checkpoint ${url}/${name(80, "final")}$`, "m"));
      assert.match(inspect.stdout, /graph predict · batch 1 · .+ · verified/);
      const config = path.join(scratch[0]!, "bucket-config.json");
      await fsp.writeFile(config, "{}");
      const diff = await nbresumeIn(env, "diff", url, "--config", config);
      assert.equal(diff.code, 1);
      assert.match(diff.stdout, /differences?:/);
      const out = path.join(scratch[0]!, "bucket-model.onnx");
      const exported = await nbresumeIn(env, "export", url, "--out", out);
      assert.equal(exported.code, 0, exported.stderr);
      assert.ok((await fsp.stat(out)).size > 0);
      const duIn = await nbresumeIn(env, "du", url);
      assert.equal(duIn.code, 0, duIn.stderr);
      assert.match(duIn.stdout, new RegExp(`^${cliMessages.noFilesystem().replace(/[()]/g, "\\$&")}$`, "m"));
      const prune = await nbresumeIn(env, "prune", url, "--keep-rolling", "0", "--keep-best", "1", "--yes");
      assert.equal(prune.code, 0, prune.stderr);
      const after = await nbresumeIn(env, "list", url);
      assert.doesNotMatch(after.stdout, new RegExp(name(40)));
      assert.match(after.stdout, new RegExp(name(80, "final")));
    });

    it("says what is wrong with a malformed bucket URL as a usage error", async () => {
      const bad = await nbresumeIn(env, "list", "s3://cli-bucket/runs/../mlp");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /is not a usable S3 location: the prefix has an empty, "\." or "\.\." segment/);
    });
  });
});
