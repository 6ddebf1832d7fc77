/**
 * A language-modelling dataset from text: the text as tokens (bytes, or characters), cut into
 * windows of `context` tokens; each example's `target` is its `input` shifted by one token, so a
 * model learns to predict the next token at every position.
 *
 *   const d = await fromTextCorpus("shakespeare.txt", { context: 128, tokenizer: "char" });
 *   // columns input, target: int64 [128]; info.tokenizer: the vocabulary
 *   const tok = textTokenizer(d.info);
 *   tok.decode(d.columns.input.data.subarray(0, 128));   // the first window's text
 *
 * Window k starts at token k × stride (default stride = context: windows do not overlap); the
 * last tokens that do not fill a window are left out. A plain string is a file path; pass
 * { text } for text in memory.
 */
import { basename } from "node:path";
import { hashBytes } from "../../checkpoint/hash.js";
import { NbresumeError } from "../../errors.js";
import type { JsonObject } from "../nn/json.js";
import { readDataFile, sourceInfo } from "./data-file.js";
import type { Dataset } from "./dataset.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";
import { checkJsonInfo, checkName } from "./options-check.js";
import { byteTokenizer, charTokenizer, type TextTokenizer, type TokenizerKind } from "./text-tokenizer.js";

export interface FromTextCorpusOptions {
  /** Tokens per example. */
  readonly context: number;
  readonly tokenizer: TokenizerKind;
  /** Tokens between the starts of consecutive windows (default: context). */
  readonly stride?: number;
  /** The dataset's name (default: the file's name, or "text"), stored in data-loader cursors. */
  readonly name?: string;
  /** Added to the dataset's info. */
  readonly info?: JsonObject;
}

/** A file path, or text in memory. */
export type TextSource = string | { readonly path: string } | { readonly text: string };

const WHO = "fromTextCorpus";

/** Tokens per column beyond which the windows would take gigabytes (2^27 int64 values = 1 GiB). */
export const MAX_WINDOW_TOKENS = 2 ** 27;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function positive(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) throw new RangeError(msg.badOption(WHO, option, "a positive integer", value));
  return value;
}

/** Tokens ids → an int64 column, writing low words only (ids are small and non-negative). */
function windows(ids: Int32Array, starts: number, stride: number, context: number, offset: number): BigInt64Array {
  const out = new BigInt64Array(starts * context);
  if (LITTLE_ENDIAN) {
    const words = new Uint32Array(out.buffer);
    for (let w = 0; w < starts; w++) {
      const from = w * stride + offset;
      for (let k = 0; k < context; k++) words[2 * (w * context + k)] = ids[from + k]!;
    }
  } else {
    for (let w = 0; w < starts; w++) {
      const from = w * stride + offset;
      for (let k = 0; k < context; k++) out[w * context + k] = BigInt(ids[from + k]!);
    }
  }
  return out;
}

/** The text's code points as ids into its sorted distinct code points (typed arrays: a 100 MB text stays ~0.5 GB). */
function charTokens(text: string): { tokenizer: TextTokenizer; ids: Int32Array } {
  const points = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        c = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    points[n++] = c;
  }
  const idOf = new Int32Array(0x110000).fill(-1);
  for (let i = 0; i < n; i++) idOf[points[i]!] = 0;
  const vocab: string[] = [];
  for (let p = 0; p < idOf.length; p++) {
    if (idOf[p] === 0) {
      idOf[p] = vocab.length;
      vocab.push(String.fromCodePoint(p));
    }
  }
  const ids = points.subarray(0, n);
  for (let i = 0; i < n; i++) ids[i] = idOf[ids[i]!]!;
  return { tokenizer: charTokenizer(vocab), ids };
}

/**
 * The windows of `source` as a Dataset (columns input and target, int64 [context]). Throws
 * TypeError/RangeError for bad options, and NbresumeError DATA_FILE_UNREADABLE, DATA_TEXT_NOT_UTF8
 * (a non-UTF-8 file with the char tokenizer) or DATA_TEXT_TOO_SHORT (fewer than context + 1 tokens).
 */
export async function fromTextCorpus(source: TextSource, options: FromTextCorpusOptions): Promise<Dataset> {
  if (typeof options !== "object" || options === null) throw new TypeError(msg.badOption(WHO, "options", "{ context, tokenizer, stride? }", options));
  const context = positive("context", options.context);
  const stride = options.stride === undefined ? context : positive("stride", options.stride);
  if (options.tokenizer !== "byte" && options.tokenizer !== "char")
    throw new RangeError(msg.badOption(WHO, "tokenizer", '"byte" or "char"', options.tokenizer));
  const extra = checkJsonInfo(WHO, options.info);

  let bytes: Uint8Array;
  let file: string;
  let from: JsonObject;
  let fallbackName = "text";
  if (typeof source === "string" || (typeof source === "object" && source !== null && typeof (source as { path?: unknown }).path === "string")) {
    const path = typeof source === "string" ? source : (source as { path: string }).path;
    const read = await readDataFile(path, "text");
    bytes = read.bytes;
    file = path;
    from = sourceInfo(read.source);
    fallbackName = basename(path);
  } else if (typeof source === "object" && source !== null && typeof (source as { text?: unknown }).text === "string") {
    bytes = new TextEncoder().encode((source as { text: string }).text);
    file = "the text";
    from = { format: "text", file: null, bytes: bytes.byteLength, hash: hashBytes(bytes) };
  } else {
    throw new TypeError(msg.badOption(WHO, "source", "a file path, { path } or { text }", source));
  }
  const name = checkName(WHO, options.name, fallbackName);

  let tokenizer: TextTokenizer;
  let ids: Int32Array;
  if (options.tokenizer === "byte") {
    tokenizer = byteTokenizer();
    ids = Int32Array.from(bytes);
  } else {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new NbresumeError(DataErrorCode.TEXT_NOT_UTF8, msg.textNotUtf8(file), { where: file, cause });
    }
    ({ tokenizer, ids } = charTokens(text));
  }
  const n = ids.length;
  if (n < context + 1) throw new NbresumeError(DataErrorCode.TEXT_TOO_SHORT, msg.textTooShort(file, n, context), { where: file });
  const count = Math.floor((n - 1 - context) / stride) + 1;
  if (count * context > MAX_WINDOW_TOKENS) throw new RangeError(msg.textTooManyWindows(count, context, MAX_WINDOW_TOKENS));
  return {
    name,
    count,
    columns: {
      input: { dtype: "int64", shape: [context], data: windows(ids, count, stride, context, 0) },
      target: { dtype: "int64", shape: [context], data: windows(ids, count, stride, context, 1) },
    },
    info: { tokenizer: tokenizer.toJSON(), context, stride, tokens: n, source: from, ...extra },
  };
}
