import { strict as assert } from "node:assert";
import { fromTextCorpus } from "../../../src/engine/data/from-text-corpus.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { textTokenizer } from "../../../src/engine/data/text-tokenizer.js";
import type { JsonObject } from "../../../src/engine/nn/json.js";
import { isNbresumeError } from "../../../src/errors.js";
import { useTempDir } from "./data-files.js";
import { layout } from "./dataset-contents.js";
import { rejectsWith } from "./rejects-with.js";

/** Window w of a column, as numbers. */
function window(column: BigInt64Array, w: number, context: number): number[] {
  return Array.from(column.subarray(w * context, (w + 1) * context), Number);
}

describe("fromTextCorpus: text as next-token windows", () => {
  const dir = useTempDir("text");

  it("cuts byte tokens into windows whose target is the input shifted by one, and decodes them back", async () => {
    const text = "héllo, wörld! 🙂 the end";
    const path = await dir.file("corpus.txt", text);
    const bytes = Array.from(new TextEncoder().encode(text));
    const context = 5;
    const d = await fromTextCorpus(path, { context, tokenizer: "byte" });
    const count = Math.floor((bytes.length - 1 - context) / context) + 1;
    assert.equal(d.name, "corpus.txt");
    assert.equal(d.count, count);
    assert.deepEqual(layout(d), { input: ["int64", [5]], target: ["int64", [5]] });
    const input = d.columns["input"]!.data as BigInt64Array;
    const target = d.columns["target"]!.data as BigInt64Array;
    for (let w = 0; w < count; w++) {
      assert.deepEqual(window(input, w, context), bytes.slice(w * context, w * context + context));
      assert.deepEqual(window(target, w, context), bytes.slice(w * context + 1, w * context + context + 1));
    }
    assert.deepEqual(d.info["tokenizer"], { kind: "byte", vocabSize: 256 });
    assert.deepEqual([d.info["context"], d.info["stride"], d.info["tokens"]], [5, 5, bytes.length]);
    const tok = textTokenizer(d.info);
    assert.equal(tok.decode(input.subarray(0, count * context)), new TextDecoder().decode(Uint8Array.from(bytes.slice(0, count * context))));
    assert.deepEqual(Array.from(tok.encode("hé")), [104n, 195n, 169n]);
  });

  it("builds a char vocabulary (code points, sorted) that the info carries, with overlapping windows by stride", async () => {
    const text = "abcab🙂ba\nc";
    const d = await fromTextCorpus({ text }, { context: 4, tokenizer: "char", stride: 2, name: "tiny" });
    const chars = Array.from(text);
    const vocab = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    assert.equal(d.name, "tiny");
    assert.deepEqual(d.info["tokenizer"], { kind: "char", vocab });
    const ids = chars.map((c) => vocab.indexOf(c));
    const count = Math.floor((ids.length - 1 - 4) / 2) + 1;
    assert.equal(d.count, count);
    const input = d.columns["input"]!.data as BigInt64Array;
    const target = d.columns["target"]!.data as BigInt64Array;
    for (let w = 0; w < count; w++) {
      assert.deepEqual(window(input, w, 4), ids.slice(2 * w, 2 * w + 4));
      assert.deepEqual(window(target, w, 4), ids.slice(2 * w + 1, 2 * w + 5));
    }
    const tok = textTokenizer(JSON.parse(JSON.stringify(d.info)) as JsonObject);
    assert.equal(tok.vocabSize, vocab.length);
    assert.equal(tok.decode(input.subarray(0, 4)), chars.slice(0, 4).join(""));
    assert.equal(tok.decode(tok.encode("🙂abc\n")), "🙂abc\n");
    const source = d.info["source"] as Record<string, unknown>;
    assert.deepEqual([source["format"], source["file"], source["bytes"]], ["text", null, new TextEncoder().encode(text).length]);
  });

  describe("refuses", () => {
    it("a text shorter than one window plus its target (DATA_TEXT_TOO_SHORT)", async () => {
      const path = await dir.file("short.txt", "abcd");
      await rejectsWith(fromTextCorpus(path, { context: 4, tokenizer: "byte" }), DataErrorCode.TEXT_TOO_SHORT, msg.textTooShort(path, 4, 4), path);
    });

    it("a file that is not UTF-8 with the char tokenizer, and reads it with the byte tokenizer", async () => {
      const path = await dir.file("latin1.txt", Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x21, 0x21]));
      await rejectsWith(fromTextCorpus(path, { context: 2, tokenizer: "char" }), DataErrorCode.TEXT_NOT_UTF8, msg.textNotUtf8(path), path);
      assert.equal((await fromTextCorpus(path, { context: 2, tokenizer: "byte" })).count, 2);
    });

    it("bad options with TypeError/RangeError naming them", async () => {
      await assert.rejects(fromTextCorpus({ text: "abc" }, { context: 0, tokenizer: "byte" }), {
        name: "RangeError",
        message: msg.badOption("fromTextCorpus", "context", "a positive integer", 0),
      });
      await assert.rejects(fromTextCorpus({ text: "abc" }, { context: 1, tokenizer: "word" as "byte" }), {
        name: "RangeError",
        message: msg.badOption("fromTextCorpus", "tokenizer", '"byte" or "char"', "word"),
      });
      await assert.rejects(fromTextCorpus(42 as unknown as string, { context: 1, tokenizer: "byte" }), {
        name: "TypeError",
        message: msg.badOption("fromTextCorpus", "source", "a file path, { path } or { text }", 42),
      });
    });
  });

  describe("textTokenizer", () => {
    const invalid: [string, object, string][] = [
      ["no tokenizer", {}, "info.tokenizer is missing or not an object"],
      ["an unknown kind", { tokenizer: { kind: "bpe" } }, 'kind is "bpe", expected "byte" or "char"'],
      ["a byte tokenizer of another size", { tokenizer: { kind: "byte", vocabSize: 300 } }, "a byte tokenizer has vocabSize 256, this one 300"],
      ["an empty vocabulary", { tokenizer: { kind: "char", vocab: [] } }, "vocab is not a non-empty array"],
      ["a vocabulary entry of two characters", { tokenizer: { kind: "char", vocab: ["a", "bc"] } }, 'vocab[1] is "bc", not one character'],
      ["a repeated vocabulary entry", { tokenizer: { kind: "char", vocab: ["a", "a"] } }, 'vocab lists "a" twice'],
    ];
    for (const [what, info, problem] of invalid) {
      it(`refuses info with ${what} (DATA_TOKENIZER_INVALID)`, () => {
        assert.throws(
          () => textTokenizer(info as never),
          (e: unknown) => isNbresumeError(e, DataErrorCode.TOKENIZER_INVALID) && e.message === msg.tokenizerInvalid(problem),
        );
      });
    }

    it("refuses to encode a character outside the vocabulary, or decode an id outside it, with RangeError", () => {
      const tok = textTokenizer({ tokenizer: { kind: "char", vocab: ["a", "b"] } });
      assert.throws(() => tok.encode("abc"), { name: "RangeError", message: msg.tokenUnknownChar("c", 2) });
      assert.throws(() => tok.decode([0, 2]), { name: "RangeError", message: msg.tokenOutOfRange(2, 1, 2) });
      assert.throws(() => textTokenizer({ tokenizer: { kind: "byte", vocabSize: 256 } }).decode([256n]), {
        name: "RangeError",
        message: msg.tokenOutOfRange(256n, 0, 256),
      });
    });
  });
});
