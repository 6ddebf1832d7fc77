import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SRC, allSourceImports, importsOf, sourceFiles, type SourceImport } from "./source-imports.js";

/**
 * The layers, bottom up; an import may point at its own rank or lower, never higher.
 *   0 bottom: tensor.ts, errors.ts, shared/ (used by every layer, knowing none)
 *   1 engine, checkpoint, render, notebook (each may use another only without a cycle)
 *   2 run (composes the four)
 *   3 cli, supervisor, demo, kernel (programs on top)
 *   4 the package entries, index.ts and nn.ts
 */
const RANK = {
  bottom: 0,
  engine: 1,
  checkpoint: 1,
  render: 1,
  notebook: 1,
  run: 2,
  cli: 3,
  supervisor: 3,
  demo: 3,
  kernel: 3,
  entry: 4,
} as const;
type Layer = keyof typeof RANK;

const BOTTOM_FILES = new Set(["tensor.ts", "errors.ts"]);
const ENTRY_FILES = new Set(["index.ts", "nn.ts"]);

/** Files that state a contract (interfaces, types) which other files implement. */
const CONTRACT_FILES = [
  "checkpoint/store.ts",
  "checkpoint/storage/storage.ts",
  "checkpoint/safetensors/safetensors.ts",
  "notebook/display.ts",
  "engine/runtime/runtime.ts",
  "engine/session/training-session.ts",
  "engine/graph/value.ts",
  "engine/random/generator.ts",
  "engine/data/dataset.ts",
  "engine/data/batch.ts",
  "engine/nn/model.ts",
  "engine/nn/preview-spec.ts",
  "render/raw-image.ts",
  "render/rendered-preview.ts",
  "run/run.ts",
  "run/run-output.ts",
  "run/preview.ts",
  "supervisor/jupyter.ts",
  "supervisor/reporter.ts",
  "cli/command.ts",
];

function layerOf(file: string): Layer | undefined {
  const slash = file.indexOf("/");
  if (slash < 0) return BOTTOM_FILES.has(file) ? "bottom" : ENTRY_FILES.has(file) ? "entry" : undefined;
  const folder = file.slice(0, slash);
  if (folder === "shared") return "bottom";
  return Object.hasOwn(RANK, folder) && folder !== "bottom" && folder !== "entry" ? (folder as Layer) : undefined;
}

function describeImport(i: SourceImport): string {
  return `src/${i.from}:${i.line} imports "${i.specifier}"${i.typeOnly ? " (type only)" : ""}`;
}

/** Imports of src/ files by src/ files, with both ends' layers. */
function crossings(imports: readonly SourceImport[]): { imp: SourceImport; from: Layer; to: Layer }[] {
  const out: { imp: SourceImport; from: Layer; to: Layer }[] = [];
  for (const imp of imports) {
    if (imp.target === undefined) continue;
    const from = layerOf(imp.from);
    const to = layerOf(imp.target);
    if (from !== undefined && to !== undefined) out.push({ imp, from, to });
  }
  return out;
}

function assertNone(violations: string[], rule: string): void {
  if (violations.length > 0) assert.fail(`${rule}:\n  ${violations.join("\n  ")}`);
}

describe("architecture: layers", () => {
  let imports: SourceImport[] = [];
  before(() => {
    imports = allSourceImports();
  });

  it("reads every kind of import, marking the ones erased at run time as type only", () => {
    const text = [
      `import { a } from "./a.js";`,
      `import type { B } from "../b.js";`,
      `import { type C, type D } from "./c.js";`,
      `import { type E, e } from "./e.js";`,
      `import "./side-effect.js";`,
      `export { f } from "./f.js";`,
      `export type { G } from "./g.js";`,
      `import { readFileSync } from "node:fs";`,
      `type H = import("./h.js").H;`,
      `async function later(): Promise<unknown> { return import("../i.js"); }`,
    ].join("\n");
    const found = importsOf("run/x.ts", text).map((i) => [i.specifier, i.target, i.typeOnly, i.sideEffectOnly, i.line]);
    assert.deepEqual(found, [
      ["./a.js", "run/a.ts", false, false, 1],
      ["../b.js", "b.ts", true, false, 2],
      ["./c.js", "run/c.ts", true, false, 3],
      ["./e.js", "run/e.ts", false, false, 4],
      ["./side-effect.js", "run/side-effect.ts", false, true, 5],
      ["./f.js", "run/f.ts", false, false, 6],
      ["./g.js", "run/g.ts", true, false, 7],
      ["node:fs", undefined, false, false, 8],
      ["./h.js", "run/h.ts", true, false, 9],
      ["../i.js", "i.ts", false, false, 10],
    ]);
  });

  it("places every file under src/ in a known layer, and every relative import names a file that exists", () => {
    const unplaced = sourceFiles()
      .filter((f) => layerOf(f) === undefined)
      .map((f) => `src/${f}`);
    assertNone(unplaced, "files in no layer (add the folder to RANK in this test, and to docs/ARCHITECTURE.md)");
    const dangling = imports.filter((i) => i.target !== undefined && !existsSync(join(SRC, i.target))).map(describeImport);
    assertNone(dangling, "imports of files that do not exist");
  });

  it("the bottom (tensor.ts, errors.ts, shared/) imports no layer", () => {
    const violations = crossings(imports)
      .filter((c) => c.from === "bottom" && c.to !== "bottom")
      .map((c) => `${describeImport(c.imp)} (${c.to})`);
    assertNone(violations, "the bottom must not depend on a layer");
  });

  it("engine, checkpoint, render and notebook never import the run layer, the CLI, the supervisor, the demo or the kernel", () => {
    const violations = crossings(imports)
      .filter((c) => RANK[c.from] === 1 && RANK[c.to] > 1)
      .map((c) => `${describeImport(c.imp)} (${c.from} → ${c.to})`);
    assertNone(violations, "arrows up from the middle layers");
  });

  it("the run layer never imports the CLI, the supervisor, the demo, the kernel or a package entry; nothing imports a package entry", () => {
    const violations = crossings(imports)
      .filter((c) => RANK[c.to] > RANK[c.from] && RANK[c.from] >= 2)
      .concat(crossings(imports).filter((c) => c.to === "entry" && c.from !== "entry"))
      .map((c) => `${describeImport(c.imp)} (${c.from} → ${c.to})`);
    assertNone([...new Set(violations)], "arrows up from the run layer or into an entry");
  });

  it("contract files import their implementations only with `import type`", () => {
    const missing = CONTRACT_FILES.filter((f) => !existsSync(join(SRC, f)));
    assertNone(missing, "contract files listed in this test that no longer exist");
    const contracts = new Set(CONTRACT_FILES);
    const violations = imports.filter((i) => contracts.has(i.from) && i.target !== undefined && !i.typeOnly).map(describeImport);
    assertNone(violations, "value imports in contract files (move the code that needs them out, e.g. a factory)");
  });

  it("no two layers depend on each other, directly or through other layers", () => {
    // One example import per layer-to-layer edge, to name in the message.
    const edges = new Map<Layer, Map<Layer, SourceImport>>();
    for (const { imp, from, to } of crossings(imports)) {
      if (from === to) continue;
      const out = edges.get(from) ?? new Map<Layer, SourceImport>();
      if (!out.has(to)) out.set(to, imp);
      edges.set(from, out);
    }
    const cycles: string[] = [];
    const state = new Map<Layer, "open" | "done">();
    const path: Layer[] = [];
    const visit = (layer: Layer): void => {
      state.set(layer, "open");
      path.push(layer);
      for (const next of edges.get(layer)?.keys() ?? []) {
        if (state.get(next) === "open") {
          const loop = [...path.slice(path.indexOf(next)), next];
          const steps = loop.slice(0, -1).map((l, k) => `${l} → ${loop[k + 1]!}: ${describeImport(edges.get(l)!.get(loop[k + 1]!)!)}`);
          cycles.push(`${loop.join(" → ")}\n    ${steps.join("\n    ")}`);
        } else if (state.get(next) === undefined) {
          visit(next);
        }
      }
      path.pop();
      state.set(layer, "done");
    };
    for (const layer of Object.keys(RANK) as Layer[]) if (state.get(layer) === undefined) visit(layer);
    assertNone(cycles, "import cycles between layers");
  });
});
