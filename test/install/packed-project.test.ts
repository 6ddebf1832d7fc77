/**
 * nbresume as a user installs it into their own project: `npm pack` of this checkout installed
 * into a fresh project with NuGet unreachable, the kernel installed with `npx nbresume kernel
 * install`, and a notebook written the way users write it (shorthand properties, the package
 * imported by name) training the built-in MNIST classifier in that kernel.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { KernelSpec } from "../../src/kernel/kernelspec.js";
import { executeNotebook, notebookWithCells, streamText } from "../support/nbconvert.js";
import { createPackedProject, type PackedProject } from "../support/packed-project.js";

const NOTEBOOK = notebookWithCells([
  `import { resumable, mnist, mlpClassifier, adamw, constantLr } from "nbresume";`,
  `const model = mlpClassifier({ inputSize: 784, hidden: [32], classes: 10 });\nconst data = await mnist();\nconst schedule = constantLr(1e-3);\nconst steps = 6;`,
  `const run = resumable({ dir: "runs/packed", model, data, optimizer: adamw(), schedule, steps, batchSize: 32, checkpointEvery: 3 });`,
  `const result = await run.train();\nconsole.log("RESULT " + JSON.stringify({ status: result.status, step: result.step }));`,
  `console.log("NBRESUME " + require.resolve("nbresume"));`,
]);

/** onnxruntime-node's native folder for this platform, and the CUDA files its installer would fetch. */
function ortBin(project: PackedProject): string {
  return join(project.dir, "node_modules", "onnxruntime-node", "bin", "napi-v6", process.platform, process.arch);
}

function assertNoWarnings(output: string, what: string): void {
  let warnings = output.split("\n").filter((l) => /^npm warn/i.test(l));
  const listed = warnings.map((l) => /^npm warn install-scripts\s+(\S+)@\S+ \(/i.exec(l)?.[1]).filter((n) => n !== undefined);
  // A tarball is a non-registry source, for which npm 11 lists nbresume's `prepare` as an install
  // script not covered by allowScripts, although it never runs prepare for a tarball. Installed
  // from the registry it is not listed; anything else listed is a real warning.
  if (listed.length > 0 && listed.every((n) => n === "nbresume")) warnings = warnings.filter((l) => !/^npm warn install-scripts/i.test(l));
  assert.deepEqual(warnings, [], `${what} printed warnings`);
}

describe("nbresume packed and installed into a user's own project", function () {
  this.timeout(600_000);
  let project: PackedProject | undefined;
  const p = (): PackedProject => {
    if (project === undefined) throw new Error("the project was not created");
    return project;
  };

  before(async function () {
    project = await createPackedProject({ files: { "train.ipynb": JSON.stringify(NOTEBOOK, null, 1) } });
  });

  after(function () {
    project?.remove();
  });

  it("installs with NuGet unreachable: onnxruntime-node's CPU build, no CUDA download, no .npmrc, no npm warning", function () {
    const out = p().install.stdout + p().install.stderr;
    assertNoWarnings(out, "npm install nbresume");
    assert.doesNotMatch(out, /Downloading|nuget|ECONNREFUSED/i);
    const bin = readdirSync(ortBin(p()));
    assert.ok(bin.includes("onnxruntime_binding.node"), bin.join(", "));
    assert.deepEqual(
      bin.filter((f) => /providers_(cuda|tensorrt|shared)/.test(f)),
      [],
    );
    assert.ok(!existsSync(join(p().dir, ".npmrc")));
    assert.ok(existsSync(join(p().dir, "node_modules", "nbresume", "dist", "kernel", "main.js")));
    assert.ok(!existsSync(join(p().dir, "node_modules", "nbresume", "node_modules", "nbresume")), "no self-link inside an installed package");
  });

  it("reinstalls the same way with npm ci from the project's lockfile", async function () {
    const r = await p().run("npm ci --prefer-offline --no-audit --no-fund");
    assert.equal(r.status, 0, r.stderr);
    assertNoWarnings(r.stdout + r.stderr, "npm ci");
    assert.deepEqual(
      readdirSync(ortBin(p())).filter((f) => /providers_/.test(f)),
      [],
    );
  });

  it("`npx nbresume kernel install` wrote a kernelspec that runs this project's nbresume and tslab by absolute path", async function () {
    const spec = JSON.parse(readFileSync(join(p().jupyter.jupyterPath, "kernels", "nbresume", "kernel.json"), "utf8")) as KernelSpec;
    assert.equal(spec.argv[0], process.execPath);
    assert.equal(realpathSync(spec.argv[1] ?? ""), realpathSync(join(p().dir, "node_modules", "nbresume", "dist", "kernel", "main.js")));
    assert.equal(spec.argv[2], "--tslab");
    assert.equal(realpathSync(spec.argv[3] ?? ""), realpathSync(join(p().dir, "node_modules", "tslab")));
    const status = await p().run(`npx nbresume kernel status --jupyter-path ${JSON.stringify(p().jupyter.jupyterPath)}`);
    assert.equal(status.status, 0, status.stdout + status.stderr);
  });

  it("runs a notebook with shorthand properties that imports nbresume by name and trains the MNIST classifier", async function () {
    const executed = await executeNotebook(join(p().dir, "train.ipynb"), { jupyter: p().jupyter, env: { NBRESUME_CACHE_DIR: join(p().dir, ".cache") } });
    const text = executed.cells.map((c) => streamText(c)).join("");
    assert.doesNotMatch(text, /ReferenceError|is not defined/);
    const result = /RESULT (\{.*\})/.exec(text)?.[1];
    assert.ok(result !== undefined, text);
    assert.deepEqual(JSON.parse(result), { status: "finished", step: 6 });
    const resolved = /NBRESUME (\S+)/.exec(text)?.[1] ?? "";
    assert.equal(
      realpathSync(resolved),
      realpathSync(join(p().dir, "node_modules", "nbresume", "dist", "index.js")),
      "the installed package, not this checkout",
    );
    assert.ok(
      readdirSync(join(p().dir, "runs", "packed")).some((n) => n.startsWith("ckpt-step-00000006")),
      "the final checkpoint is on disk",
    );
  });
});
