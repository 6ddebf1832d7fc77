/**
 * Shorthand properties of earlier cells' names, through tslab's real converter (the one the kernel
 * runs), with and without our patch. Cells run as tslab runs them: CommonJS sharing one `exports`.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as TS from "typescript";
import { patchConverter, type ConverterModule } from "../../src/kernel/converter-patch.js";
import { declaredNames, expandPrevCellShorthands } from "../../src/kernel/shorthand.js";
import { REPO_ROOT } from "../support/jupyter-server.js";

const tslabRequire = createRequire(join(REPO_ROOT, "node_modules", "tslab", "package.json"));
const ts = tslabRequire("@tslab/typescript-for-tslab") as typeof TS;

interface Converter {
  convert(prevDecl: string, src: string): { output?: string; declOutput?: string; diagnostics: unknown[] };
  close(): void;
}

/** A fresh copy of tslab's converter module (require cache bypassed), patched or not. */
function converterModule(patched: boolean): ConverterModule {
  const file = tslabRequire.resolve("./dist/converter.js");
  const cached = tslabRequire.cache[file];
  delete tslabRequire.cache[file];
  try {
    const mod = tslabRequire(file) as ConverterModule;
    if (patched) patchConverter(mod, ts);
    return mod;
  } finally {
    if (cached !== undefined) tslabRequire.cache[file] = cached;
    else delete tslabRequire.cache[file];
  }
}

/** Runs cells like tslab's executor: convert against the previous declarations, run with one shared exports. */
class Cells {
  private readonly converter: Converter;
  private prevDecl = "";
  readonly exports: Record<string, unknown> = {};
  readonly outputs: string[] = [];

  constructor(patched: boolean) {
    this.converter = converterModule(patched).createConverter() as unknown as Converter;
  }

  run(src: string): Record<string, unknown> {
    const r = this.converter.convert(this.prevDecl, src);
    assert.equal(r.output === undefined, false, `tslab did not convert ${JSON.stringify(src)}: ${JSON.stringify(r.diagnostics)}`);
    this.outputs.push(r.output as string);
    this.prevDecl = r.declOutput ?? this.prevDecl;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the converted cell the way tslab's kernel does
    const cell = new Function("exports", "require", r.output as string) as (exports: typeof this.exports, require: NodeJS.Require) => void;
    cell(this.exports, createRequire(import.meta.url));
    return this.exports;
  }

  close(): void {
    this.converter.close();
  }
}

describe("shorthand properties of earlier cells' names (tslab converter patch)", function () {
  this.timeout(30_000);
  const open: Cells[] = [];
  const cells = (patched = true): Cells => {
    const c = new Cells(patched);
    open.push(c);
    return c;
  };

  after(function () {
    for (const c of open) c.close();
  });

  it("tslab 1.0.22 alone leaves them bare, so the cell throws ReferenceError (the upstream cause)", function () {
    const c = cells(false);
    c.run("const model = { n: 1 };");
    assert.throws(
      () => c.run("const o = { model };"),
      (e: unknown) => e instanceof ReferenceError && /model is not defined/.test(e.message),
    );
  });

  it("reads the earlier cell's value through a shorthand property", function () {
    const c = cells();
    c.run("const model = { n: 1 }; let data = [1, 2, 3];");
    const exports = c.run("const run = { model, data, steps: 3 };");
    assert.deepEqual(exports.run, { model: { n: 1 }, data: [1, 2, 3], steps: 3 });
    assert.equal((exports.run as { model: unknown }).model, exports.model, "the same object, not a copy");
    assert.match(c.outputs[1] ?? "", /model: exports\.model, data: exports\.data/);
  });

  it("covers imports, functions, classes, enums and destructured names of earlier cells", function () {
    const c = cells();
    c.run(
      "import * as path from 'node:path'; import { join } from 'node:path'; function f() { return 1; } class K {} enum E { A } const { a, b: [bb] } = { a: 1, b: [2] };",
    );
    const exports = c.run("const o = { path, join, f, K, E, a, bb };");
    const o = exports.o as Record<string, unknown>;
    assert.equal(typeof (o.path as { join?: unknown }).join, "function");
    assert.equal(o.join, (o.path as { join: unknown }).join);
    assert.equal((o.f as () => number)(), 1);
    assert.equal(o.E, exports.E);
    assert.deepEqual([o.a, o.bb], [1, 2]);
  });

  it("keeps the shorthand of a parameter, a local and a redeclared name, which already resolve in the cell", function () {
    const c = cells();
    c.run("const model = 1; const data = 2;");
    const exports = c.run(
      "function g(model: number) { const data = model * 10; return { model, data }; }\nconst model = 5;\nconst h = { model };\nconst r = g(7);",
    );
    assert.deepEqual(exports.r, { model: 7, data: 70 });
    assert.deepEqual(exports.h, { model: 5 });
    assert.match(c.outputs[1] ?? "", /return \{ model, data \}/);
    assert.doesNotMatch(c.outputs[1] ?? "", /model: exports\.model/);
  });

  it("assigns an earlier cell's variable through a shorthand in a destructuring assignment", function () {
    const c = cells();
    c.run("let model = 1;");
    const exports = c.run("({ model } = { model: 9 });");
    assert.equal(exports.model, 9);
  });

  it("leaves code without such shorthands byte for byte as tslab wrote it", function () {
    const output = "exports.x = ({ console, y: exports.y });\n";
    assert.equal(expandPrevCellShorthands(ts, output, "declare const y: number;\n"), output);
    assert.equal(expandPrevCellShorthands(ts, output, ""), output);
  });

  it("reads value names from tslab's declarations, not type-only ones", function () {
    const names = declaredNames(
      ts,
      "import { join } from 'path';\nimport * as fs from 'fs';\ndeclare const model = 1;\ndeclare let a: number, bb: number;\ndeclare function f(): void;\ndeclare class K {\n}\ndeclare enum E {\n    x = 0\n}\ninterface I {\n}\ntype T = 1;\n",
    );
    assert.deepEqual([...names].sort(), ["E", "K", "a", "bb", "f", "fs", "join", "model"]);
  });
});
