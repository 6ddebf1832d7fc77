/**
 * What the data-layer tests share: a temp directory per test, writing fixture files into it,
 * and asserting that a constructor fails with the catalog's code and exact message.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dataset } from "../../../src/engine/data/dataset.js";
import { isNbresumeError } from "../../../src/errors.js";

export const FIXTURES = join(import.meta.dirname, "fixtures");

/** A fresh directory for each test of the enclosing describe(), removed after it. */
export function useTempDir(prefix: string): { readonly path: string; file(name: string, contents: string | Uint8Array): Promise<string> } {
  let dir = "";
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), `nbresume-${prefix}-`)); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });
  return {
    get path() { return dir; },
    async file(name: string, contents: string | Uint8Array): Promise<string> {
      const p = join(dir, name);
      await writeFile(p, contents);
      return p;
    },
  };
}

/** Awaits `work` and asserts it fails with NbresumeError `code` and exactly `message`. */
export async function rejectsWith(work: Promise<unknown> | (() => unknown), code: string, message: string, where?: string): Promise<void> {
  const run = typeof work === "function" ? async () => work() : () => work;
  await assert.rejects(run, (e: unknown) => {
    assert.ok(isNbresumeError(e), `expected an NbresumeError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    if (where !== undefined) assert.equal(e.where, where);
    return true;
  });
}

/** A column's values as plain numbers or bigints, for deepEqual. */
export function values(d: Dataset, column: string): (number | bigint)[] {
  const c = d.columns[column];
  assert.ok(c !== undefined, `no column ${column}`);
  return Array.from(c.data as ArrayLike<number | bigint>);
}

/** Each column's dtype and shape, for deepEqual. */
export function layout(d: Dataset): Record<string, [string, number[]]> {
  return Object.fromEntries(Object.entries(d.columns).map(([k, c]) => [k, [c.dtype, [...c.shape]]]));
}
