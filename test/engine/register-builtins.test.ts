import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, SRC, allSourceImports, importsOf } from "../architecture/source-imports.js";

const run = promisify(execFile);

interface Registered {
  ops: string[];
  gradients: string[];
}

/** What a fresh process has registered after importing `modules` (paths relative to src/) and nothing else. */
async function registeredAfter(...modules: string[]): Promise<Registered> {
  const imports = modules.map((m) => `await import(${JSON.stringify(`./src/${m}`)});`).join(" ");
  const script = [
    imports,
    `const { registeredOps } = await import("./src/engine/graph/op-schema.ts");`,
    `const { registeredGradients } = await import("./src/engine/autodiff/gradient-registry.ts");`,
    `console.log(JSON.stringify({ ops: registeredOps(), gradients: registeredGradients() }));`,
  ].join("\n");
  const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Registered;
}

describe("engine/register-builtins", () => {
  let builtins: Registered;
  before(async () => {
    builtins = await registeredAfter("engine/register-builtins.ts");
  });

  it("registers every built-in op schema and gradient", () => {
    for (const op of ["MatMul", "Conv", "LayerNormalization", "Softmax", "Gather", "ReduceMean"]) assert.ok(builtins.ops.includes(op), `op ${op}`);
    for (const op of ["MatMul", "Conv", "LayerNormalization", "Softmax", "Gather", "ReduceMean"]) assert.ok(builtins.gradients.includes(op), `gradient ${op}`);
    const withoutSchema = builtins.gradients.filter((g) => !builtins.ops.includes(g));
    assert.deepEqual(withoutSchema, [], "every built-in gradient's op has a schema");
  });

  it("is the only way ops get registered: importing the graph builder and autodiff registers nothing", async () => {
    assert.deepEqual(await registeredAfter("engine/graph/graph-builder.ts", "engine/graph/functional.ts", "engine/autodiff/gradients.ts"), {
      ops: [],
      gradients: [],
    });
  });

  it("is imported by the package entries: nbresume and nbresume/nn register the same ops and gradients", async () => {
    assert.deepEqual(await registeredAfter("index.ts"), builtins);
    assert.deepEqual(await registeredAfter("nn.ts"), builtins);
  });

  it("holds the engine's only imports for side effects (with register-all-ops.ts, which it imports)", () => {
    const allowed = new Set(["engine/register-builtins.ts", "engine/graph/ops/register-all-ops.ts"]);
    const others = allSourceImports()
      .filter((i) => i.from.startsWith("engine/") && i.sideEffectOnly && !allowed.has(i.from))
      .map((i) => `src/${i.from}:${i.line} imports "${i.specifier}" for its side effects`);
    assert.deepEqual(others, []);
  });

  it("is imported by the programs that build graphs without the package entry (the CLI's and the demo's main)", () => {
    for (const main of ["cli/main.ts", "demo/main.ts"]) {
      const targets = importsOf(main, readFileSync(join(SRC, main), "utf8")).map((i) => i.target);
      assert.ok(targets.includes("engine/register-builtins.ts"), `src/${main} imports engine/register-builtins.js`);
    }
  });
});
