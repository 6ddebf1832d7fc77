/**
 * The tokenizers of a text corpus (fromTextCorpus) and their round trip through a dataset's
 * `info`: a dataset records its tokenizer as plain JSON, so a preview or a notebook can decode
 * model output with `textTokenizer(dataset.info)` — also after a resume, from the info a
 * checkpoint recorded.
 *
 *   byte  ids 0–255 are the UTF-8 bytes of the text; info { kind: "byte", vocabSize: 256 }
 *   char  ids index the corpus's distinct characters (Unicode code points) in code-point order;
 *         info { kind: "char", vocab: ["\n", " ", "a", …] }
 */
import { NbresumeError } from "../../errors.js";
import type { JsonObject, JsonValue } from "../nn/json.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";

export type TokenizerKind = "byte" | "char";

export interface TextTokenizer {
  readonly kind: TokenizerKind;
  /** Ids are 0..vocabSize−1. */
  readonly vocabSize: number;
  /** The ids of `text` (int64, as the dataset's columns hold them). Throws RangeError for a character outside a char vocabulary. */
  encode(text: string): BigInt64Array;
  /** The text of `ids` (a byte sequence that is not UTF-8 decodes to U+FFFD). Throws RangeError for an id outside the vocabulary. */
  decode(ids: ArrayLike<number | bigint>): string;
  /** The description stored in a dataset's info.tokenizer. */
  toJSON(): JsonObject;
}

/** At most every Unicode code point. */
const MAX_VOCAB = 0x110000;

function checkId(id: number | bigint, index: number, vocabSize: number): number {
  const n = typeof id === "bigint" ? Number(id) : id;
  if (!Number.isInteger(n) || n < 0 || n >= vocabSize || (typeof id === "bigint" && BigInt(n) !== id)) {
    throw new RangeError(msg.tokenOutOfRange(id, index, vocabSize));
  }
  return n;
}

export function byteTokenizer(): TextTokenizer {
  return {
    kind: "byte",
    vocabSize: 256,
    encode(text: string): BigInt64Array {
      const bytes = new TextEncoder().encode(text);
      return BigInt64Array.from(bytes, (b) => BigInt(b));
    },
    decode(ids: ArrayLike<number | bigint>): string {
      const bytes = new Uint8Array(ids.length);
      for (let i = 0; i < ids.length; i++) bytes[i] = checkId(ids[i]!, i, 256);
      return new TextDecoder("utf-8").decode(bytes);
    },
    toJSON: () => ({ kind: "byte", vocabSize: 256 }),
  };
}

/** A tokenizer over `vocab` (distinct single code points; id = position). */
export function charTokenizer(vocab: readonly string[]): TextTokenizer {
  const ids = new Map<string, number>();
  vocab.forEach((c, i) => ids.set(c, i));
  const list = [...vocab];
  return {
    kind: "char",
    vocabSize: list.length,
    encode(text: string): BigInt64Array {
      const out: bigint[] = [];
      let at = 0;
      for (const c of text) {
        const id = ids.get(c);
        if (id === undefined) throw new RangeError(msg.tokenUnknownChar(c, at));
        out.push(BigInt(id));
        at += c.length;
      }
      return BigInt64Array.from(out);
    },
    decode(tokens: ArrayLike<number | bigint>): string {
      let s = "";
      for (let i = 0; i < tokens.length; i++) s += list[checkId(tokens[i]!, i, list.length)]!;
      return s;
    },
    toJSON: () => ({ kind: "char", vocab: [...list] }),
  };
}

function invalid(problem: string): NbresumeError {
  return new NbresumeError(DataErrorCode.TOKENIZER_INVALID, msg.tokenizerInvalid(problem), { where: "info.tokenizer" });
}

/** Whether `s` is exactly one Unicode code point. */
function isOneCodePoint(s: string): boolean {
  if (s.length === 0 || s.length > 2) return false;
  return s.codePointAt(0)! > 0xffff ? s.length === 2 : s.length === 1;
}

/**
 * The tokenizer a dataset made by fromTextCorpus records in `info.tokenizer`. `info` may come
 * from a checkpoint, so it is validated: NbresumeError DATA_TOKENIZER_INVALID names the problem.
 */
export function textTokenizer(info: JsonObject): TextTokenizer {
  const t: JsonValue | undefined = typeof info === "object" && info !== null ? info["tokenizer"] : undefined;
  if (typeof t !== "object" || t === null || Array.isArray(t)) throw invalid("info.tokenizer is missing or not an object");
  const record = t as JsonObject;
  if (record["kind"] === "byte") {
    if (record["vocabSize"] !== 256) throw invalid(`a byte tokenizer has vocabSize 256, this one ${JSON.stringify(record["vocabSize"])}`);
    return byteTokenizer();
  }
  if (record["kind"] !== "char") throw invalid(`kind is ${JSON.stringify(record["kind"])}, expected "byte" or "char"`);
  const vocab = record["vocab"];
  if (!Array.isArray(vocab) || vocab.length === 0 || vocab.length > MAX_VOCAB) throw invalid("vocab is not a non-empty array");
  const seen = new Set<string>();
  vocab.forEach((c, i) => {
    if (typeof c !== "string" || !isOneCodePoint(c)) throw invalid(`vocab[${i}] is ${JSON.stringify(c)}, not one character`);
    if (seen.has(c)) throw invalid(`vocab lists ${JSON.stringify(c)} twice`);
    seen.add(c);
  });
  return charTokenizer(vocab as string[]);
}
