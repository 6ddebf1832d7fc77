import assert from "node:assert/strict";
import { kernelMessages } from "../../src/kernel/messages.js";
import { isInterruptReport, quietInterrupts } from "../../src/kernel/quiet-interrupts.js";

describe("the kernel's interrupted cells: one clear line instead of tslab's stack trace", () => {
  it("recognises tslab's asynchronous interrupt and Node's synchronous one, and nothing else", () => {
    assert.equal(isInterruptReport([new Error("Interrupted asynchronously")]), true);
    assert.equal(isInterruptReport([new Error("Script execution was interrupted by `SIGINT`")]), true);
    assert.equal(isInterruptReport([new Error("Interrupted asynchronously"), "more"]), false);
    assert.equal(isInterruptReport(["Interrupted asynchronously"]), false);
    assert.equal(isInterruptReport([new RangeError("steps must be a positive integer")]), false);
  });

  it("prints the one line for an interrupt and passes every other error through unchanged", () => {
    const printed: unknown[][] = [];
    const target = { error: (...args: unknown[]): void => void printed.push(args) };
    quietInterrupts(target);
    const other = new TypeError("x is not a function");
    target.error(new Error("Interrupted asynchronously"));
    target.error(other);
    target.error("%s:%d", "cell", 3);
    assert.deepEqual(printed, [[kernelMessages.interruptedCell()], [other], ["%s:%d", "cell", 3]]);
  });
});
