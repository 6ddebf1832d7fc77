import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { add, scalarLike } from "../../../src/engine/graph/functional.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { defaultGraphCacheDir, MAX_ENTRIES } from "../../../src/engine/runtime/graph-cache.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { assertBitwiseEqual } from "../../support/bitwise-equal.js";
import { type TinyRun, trainTiny } from "./compile-child.js";

/** y = x + c over a float32 vector of 4: two such models differ only in c. */
function addConstant(c: number): Uint8Array {
  const g = new GraphBuilder(`add-${c}`);
  const x = g.input("x", "float32", [4]);
  g.output(add(x, scalarLike(x, c)), "y");
  return serializeGraph(g);
}

async function runAdd(model: Uint8Array, cacheDir: string | undefined): Promise<number[]> {
  const compiled = await compileGraph(model, cacheDir === undefined ? {} : { cacheDir });
  try {
    const out = await compiled.run({ x: { dtype: "float32", shape: [4], data: new Float32Array([1, 2, 3, 4]) } });
    return [...(out["y"]!.data as Float32Array)];
  } finally {
    await compiled.release();
  }
}

const entries = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith(".ortgraph"));

/** Five UNet (tiny) training steps compiled through `cacheDir` (or no cache). */
function trainThrough(cacheDir: string | undefined): Promise<TinyRun> {
  return trainTiny(5, (bytes, { threads }) =>
    compileGraph(bytes, { ...(threads === undefined ? {} : { threads }), ...(cacheDir === undefined ? {} : { cacheDir }) }),
  );
}

async function withCacheDir<T>(value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env["NBRESUME_CACHE_DIR"];
  process.env["NBRESUME_CACHE_DIR"] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env["NBRESUME_CACHE_DIR"];
    else process.env["NBRESUME_CACHE_DIR"] = before;
  }
}

describe("graph cache: onnxruntime's optimised graphs kept on disk for the next compile", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "nbresume-graph-cache-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("trains bitwise identically with no cache, a cold cache and a warm one (UNet tiny, AdamW, 5 steps)", async () => {
    const plain = await trainThrough(undefined);
    const cold = await trainThrough(dir);
    assert.ok(entries(dir).length >= 1, "the cold compile stored the optimised step graph");
    const warm = await trainThrough(dir);
    for (const run of [cold, warm]) {
      assertBitwiseEqual(run.params, plain.params, "parameters");
      assertBitwiseEqual(run.optimizer, plain.optimizer, "optimizer state");
      assert.deepEqual(run.losses, plain.losses);
    }
  });

  it("answers a second compile of the same model from its entry (shown by planting another model's graph there)", async () => {
    const model = addConstant(2);
    assert.deepEqual(await runAdd(model, dir), [3, 4, 5, 6]);
    const [entry] = entries(dir);
    assert.ok(entry !== undefined);
    // A verified entry holding y = x + 100: if the next compile reads it, the output says so.
    const other = mkdtempSync(join(tmpdir(), "nbresume-graph-cache-other-"));
    try {
      await runAdd(addConstant(100), other);
      writeFileSync(join(dir, entry), readFileSync(join(other, entries(other)[0]!)));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    assert.deepEqual(await runAdd(model, dir), [101, 102, 103, 104]);
  });

  it("deletes an entry whose checksum fails, compiles the source again and stores it anew", async () => {
    const model = addConstant(2);
    await runAdd(model, dir);
    const path = join(dir, entries(dir)[0]!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 0xff;
    writeFileSync(path, bytes);
    assert.deepEqual(await runAdd(model, dir), [3, 4, 5, 6]);
    const fresh = readFileSync(path);
    assert.ok(createHash("sha256").update(fresh.subarray(32)).digest().equals(fresh.subarray(0, 32)), "the rebuilt entry verifies");
  });

  it("falls back to the source when a verified entry is not a model onnxruntime accepts, and replaces it", async () => {
    const model = addConstant(2);
    await runAdd(model, dir);
    const path = join(dir, entries(dir)[0]!);
    const junk = Buffer.from("not an onnx model at all");
    writeFileSync(path, Buffer.concat([createHash("sha256").update(junk).digest(), junk]));
    assert.deepEqual(await runAdd(model, dir), [3, 4, 5, 6]);
    assert.ok(statSync(path).size > 32 + junk.length, "the entry was rebuilt from the source");
  });

  it("compiles without a cache when its directory cannot be created (a file stands in its way)", async () => {
    const blocked = join(dir, "file");
    writeFileSync(blocked, "x");
    assert.deepEqual(await runAdd(addConstant(2), join(blocked, "graphs")), [3, 4, 5, 6]);
  });

  it("compiles and trains when onnxruntime cannot write the optimised graph (a real file-size limit: ulimit -f), leaving no file behind", async function () {
    this.timeout(120_000);
    const child = join(import.meta.dirname, "compile-child.ts");
    // 16 blocks of 512 bytes: the optimised tiny step graph (~400 kB) cannot be written.
    const out = execFileSync("bash", ["-c", `ulimit -f 16 && exec "${process.execPath}" --import tsx "${child}"`], {
      env: { ...process.env, NBRESUME_CACHE_DIR: dir },
      encoding: "utf8",
    });
    const cacheless = (await withCacheDir("off", () => trainTiny(2))).losses;
    assert.deepEqual(JSON.parse(out), cacheless, "the same losses as without a cache");
    assert.deepEqual(readdirSync(join(dir, "graphs")), [], "no entry, no pending file");
  });

  it(`keeps the ${MAX_ENTRIES} most recently used entries and removes pending files an hour old`, async () => {
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (let i = 0; i < MAX_ENTRIES + 5; i++) {
      const path = join(dir, `${i.toString(16).padStart(64, "0")}.ortgraph`);
      writeFileSync(path, "stale");
      utimesSync(path, old, new Date(old.getTime() + i * 1000)); // entry i used i seconds after `old`
    }
    writeFileSync(join(dir, "abc.123.x.tmp"), "left by a killed process");
    utimesSync(join(dir, "abc.123.x.tmp"), old, old);
    writeFileSync(join(dir, "def.456.y.tmp"), "another process, writing now");
    await runAdd(addConstant(2), dir);
    const kept = entries(dir);
    assert.equal(kept.length, MAX_ENTRIES);
    for (let i = 0; i < 6; i++) assert.ok(!kept.includes(`${i.toString(16).padStart(64, "0")}.ortgraph`), `least recently used entry ${i} removed`);
    assert.ok(!readdirSync(dir).includes("abc.123.x.tmp"), "an hour-old pending file is removed");
    assert.ok(readdirSync(dir).includes("def.456.y.tmp"), "a fresh pending file is left to its writer");
  });

  it("lives in $NBRESUME_CACHE_DIR/graphs, else $XDG_CACHE_HOME/nbresume/graphs, else ~/.cache/nbresume/graphs; 'off' turns it off", () => {
    assert.equal(defaultGraphCacheDir({ NBRESUME_CACHE_DIR: "/c" }), "/c/graphs");
    assert.equal(defaultGraphCacheDir({ NBRESUME_CACHE_DIR: "off" }), undefined);
    assert.equal(defaultGraphCacheDir({ XDG_CACHE_HOME: "/x" }), "/x/nbresume/graphs");
    assert.match(defaultGraphCacheDir({})!, /\/\.cache\/nbresume\/graphs$/);
  });
});
