import assert from "node:assert/strict";
import { isNbresumeError } from "../../src/errors.js";
import { createDisplay } from "../../src/notebook/create-display.js";
import { notebookMessages as msg } from "../../src/notebook/messages.js";
import { NotebookErrorCode } from "../../src/notebook/messages.js";
import { checkBundle } from "../../src/notebook/mime-bundle.js";
import type { TextSink } from "../../src/notebook/terminal-display.js";
import { inTslabKernel, richestMime } from "../../src/notebook/tslab-display.js";

/** A terminal stand-in that keeps what was written. */
function sink(isTTY: boolean, columns = 80): TextSink & { text: string } {
  const s = {
    text: "",
    isTTY,
    columns,
    write(t: string) {
      s.text += t;
      return true;
    },
  };
  return s;
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("displays outside a kernel", function () {
  it("knows it is not in a tslab kernel and picks the terminal display", function () {
    assert.equal(inTslabKernel(), false);
    const out = sink(false);
    const d = createDisplay({ stream: out });
    d.show({ "image/png": PNG, "text/plain": "step 1/10" });
    d.update({ "image/png": PNG, "text/plain": "step 2/10" });
    assert.equal(out.text, "step 1/10\nstep 2/10\n", "off a TTY every update is a new line");
  });

  it("redraws an update in place on a TTY, counting wrapped lines", function () {
    const out = sink(true, 10);
    const d = createDisplay({ kind: "terminal", stream: out });
    d.show({ "text/plain": "line one\n0123456789abc" }); // the second line wraps once at 10 columns
    d.update({ "text/plain": "done" });
    assert.equal(out.text, "line one\n0123456789abc\n\x1b[3F\x1b[0Jdone\n");
  });

  it("shows which MIME types a bundle without text carried", function () {
    const out = sink(false);
    createDisplay({ kind: "terminal", stream: out }).show({ "image/png": PNG, "text/html": "<b>x</b>" });
    assert.equal(
      out.text,
      `${msg.bundleSummary([
        { mime: "image/png", size: 8 },
        { mime: "text/html", size: 8 },
      ])}\n`,
    );
    assert.equal(out.text, "[image/png, 8 bytes] [text/html, 8 bytes]\n");
  });

  it("writes nothing with kind none but still rejects a malformed bundle", function () {
    const d = createDisplay({ kind: "none" });
    d.show({ "text/plain": "quiet" });
    assert.throws(() => d.update({ "image/png": "not bytes" }), { name: "TypeError", message: msg.binaryMimeNeedsBytes("image/png", "a string") });
  });

  it("refuses the tslab display outside a kernel, saying what to do", function () {
    assert.throws(
      () => createDisplay({ kind: "tslab" }),
      (e: unknown) => isNbresumeError(e, NotebookErrorCode.NOT_IN_KERNEL) && e.message === msg.notInKernel(),
    );
    assert.throws(() => createDisplay({ kind: "html" as "none" }), { name: "TypeError", message: msg.badDisplayKind("html") });
  });

  it("checks bundles: bytes for binary types, strings for the rest, MIME-type keys, not empty", function () {
    checkBundle({ "image/png": PNG, "text/plain": "ok", "image/svg+xml": "<svg/>", "application/vnd.vegalite.v5+json": "{}" });
    assert.throws(() => checkBundle({ "text/plain": PNG }), { message: msg.textMimeNeedsString("text/plain", "a Uint8Array (8 bytes)") });
    assert.throws(() => checkBundle({}), { message: msg.badBundle("is empty") });
    assert.throws(() => checkBundle({ png: PNG }), { message: msg.badBundle('has a key that is not a MIME type: "png"') });
    assert.throws(() => checkBundle(null), { message: msg.badBundle("must be an object, got null") });
  });

  it("picks the richest MIME type when only one can be sent", function () {
    assert.equal(richestMime({ "text/plain": "a", "text/html": "b", "image/png": PNG }), "image/png");
    assert.equal(richestMime({ "text/plain": "a", "text/markdown": "b" }), "text/markdown");
    assert.equal(richestMime({ "application/x-custom": "a" }), "application/x-custom");
  });
});
