/**
 * `npm run bench` composes every benchmark module into one table. This runs the real runner in
 * --quick mode (small sizes, few rounds) and checks that it completes and that every figure comes
 * out with numbers: the value, its reference measured in the same run, and the ratio. No timing
 * is asserted (speed is measured in bench/, never in tests).
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type Figure, table } from "../../bench/suite.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Every figure the issues set a target for (and their references), as the runner names them. */
const FIGURES = [
  "save_throughput",
  "load_verify",
  "save_scaling",
  "verify",
  "s3_save",
  "s3_load",
  "async_stall_tiny",
  "async_stall_tiny_window",
  "async_stall_large",
  "peak_rss_save",
  "peak_rss_background",
  "peak_rss_load",
  "mlp_step",
  "mlp_vs_tfjs",
  "unet_step",
  "unet_vs_tfjs",
  "transformer_step",
  "transformer_vs_tfjs",
  "resume_same_kernel",
  "resume_restart",
  "resume_restart_first",
  "resume_restart_process",
  "supervised_resume",
  "grid_render",
  "chart_render",
];

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/suite.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const finite = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x);

describe("benchmark suite runner (npm run bench)", function () {
  this.timeout(600_000);

  it("runs every bench module in --quick --json mode and prints every figure with its value, reference and ratio as numbers", async () => {
    const { code, stdout, stderr } = await run(["--quick", "--json"]);
    assert.equal(code, 0, `exit code ${code}; stderr:\n${stderr.slice(-3000)}`);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);

    const machine = lines.find((l) => l.kind === "machine");
    assert.ok(machine, "a machine line first");
    for (const key of ["nproc", "memoryGiB"]) assert.ok(finite(machine[key]), `machine.${key}`);
    for (const key of ["cpu", "node", "onnxruntime", "loadavg", "loadavgEnd"]) {
      const value = machine[key];
      assert.ok(typeof value === "string" && value.length > 0, `machine.${key}`);
    }

    const modules = lines.filter((l) => l.kind === "module");
    assert.deepEqual(modules.map((m) => m.bench).sort(), [
      "async-save",
      "checkpoint",
      "engine",
      "memory",
      "render",
      "resume",
      "s3",
      "supervisor",
      "transformer",
      "unet",
    ]);
    for (const m of modules) {
      assert.equal(m.error, undefined, `bench ${String(m.bench)} failed: ${String(m.error)}`);
      assert.ok((m.rows as number) > 0, `bench ${String(m.bench)} returned rows`);
    }
    assert.ok(lines.filter((l) => l.kind === "row").every((r) => typeof r.bench === "string" && typeof r.id === "string" && typeof r.name === "string"));

    const figures = lines.filter((l) => l.kind === "figure") as unknown as Figure[];
    assert.deepEqual(
      figures.map((f) => f.id).filter((id) => FIGURES.includes(id)),
      FIGURES,
      "every figure, in table order",
    );
    for (const f of figures) {
      assert.ok(finite(f.value), `${f.id}: value is a number (${f.note})`);
      if (f.reference !== "") assert.ok(finite(f.referenceValue), `${f.id}: reference "${f.reference}" is a number`);
      if (f.ratioLabel !== "") assert.ok(finite(f.ratio), `${f.id}: ratio is a number`);
      if (f.target !== "") assert.equal(typeof f.met, "boolean", `${f.id}: target "${f.target}" is judged`);
    }

    // The human-readable table shows each figure's label and a number in each of its columns.
    const text = table(figures);
    for (const f of figures) {
      const row = text.split("\n").find((l) => l.startsWith(f.figure));
      assert.ok(row, `${f.id} has a table row`);
      assert.match(row, /\d/);
    }
  });
});
