import assert from "node:assert/strict";
import { NbresumeError } from "../../src/errors.js";
import { isLibraryError, libraryErrorReport, plainLibraryErrors } from "../../src/kernel/plain-library-errors.js";

const ROOT = "/proj/node_modules/nbresume";

/** An error with this stack under its first line. */
function withStack<E extends Error>(error: E, frames: readonly string[]): E {
  error.stack = [`${error.name}: ${error.message}`, ...frames.map((f) => `    at ${f}`)].join("\n");
  return error;
}

const libraryFrames = [
  `resolveOptions (${ROOT}/dist/run/options.js:120:11)`,
  `resumable (${ROOT}/dist/run/resumable.js:88:20)`,
  "evalmachine.<anonymous>:3:13",
  "Script.runInThisContext (node:vm:137:12)",
  "/proj/node_modules/tslab/dist/executor.js:160:41",
];

describe("the kernel's cells: nbresume's own errors print as their message, not a stack of internals", () => {
  it("tells nbresume's errors (an NbresumeError, or one thrown inside the package) from the user's and dependencies'", () => {
    assert.equal(isLibraryError(new NbresumeError("RUN_CONFIG_CHANGED", "changed"), ROOT), true);
    assert.equal(isLibraryError(withStack(new RangeError("steps must be a positive integer"), libraryFrames), ROOT), true);
    assert.equal(isLibraryError(withStack(new TypeError("x is not a function"), ["evalmachine.<anonymous>:5:1", ...libraryFrames]), ROOT), false);
    assert.equal(isLibraryError(withStack(new Error("bad model"), ["/proj/node_modules/onnxruntime-node/dist/backend.js:1:1"]), ROOT), false);
    assert.equal(isLibraryError("a string", ROOT), false);
  });

  it("prints the name, code and message, then only the frames of the user's own code", () => {
    const error = withStack(new NbresumeError("RUN_CONFIG_CHANGED", "The config changed since ckpt-step-00000150-rolling: model.hidden: 64 → 32."), [
      ...libraryFrames.slice(0, 2),
      "async train (/proj/src/train.ts:12:3)",
      ...libraryFrames.slice(2),
      "new Promise (<anonymous>)",
    ]);
    assert.equal(
      libraryErrorReport(error, ROOT),
      [
        "NbresumeError [RUN_CONFIG_CHANGED]: The config changed since ckpt-step-00000150-rolling: model.hidden: 64 → 32.",
        "    at async train (/proj/src/train.ts:12:3)",
        "    at evalmachine.<anonymous>:3:13",
      ].join("\n"),
    );
  });

  it("passes every other error, and every other call, through unchanged", () => {
    const printed: unknown[][] = [];
    const target = { error: (...args: unknown[]): void => void printed.push(args) };
    plainLibraryErrors(target, ROOT);
    const mine = withStack(new TypeError("x is not a function"), ["evalmachine.<anonymous>:5:1"]);
    const ours = withStack(new RangeError("steps must be a positive integer"), libraryFrames);
    target.error(mine);
    target.error(ours);
    target.error("%s:%d", "cell", 3);
    assert.deepEqual(printed, [[mine], [libraryErrorReport(ours, ROOT)], ["%s:%d", "cell", 3]]);
    assert.equal(libraryErrorReport(ours, ROOT).split("\n")[0], "RangeError: steps must be a positive integer");
  });
});
