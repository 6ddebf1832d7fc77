/** Asserts that a data constructor fails with the catalog's code and exact message. */
import { strict as assert } from "node:assert";
import { isNbresumeError } from "../../../src/errors.js";

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
