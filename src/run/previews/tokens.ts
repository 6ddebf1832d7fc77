/**
 * Token ids back to text for previews, from the tokenizer a text dataset records in its info:
 * { tokenizer: { kind: "byte" } } (ids are UTF-8 bytes) or { tokenizer: { kind: "char", vocab: [...] } }
 * (id i is the string vocab[i]). Unknown ids show as U+FFFD, never fail.
 */
import type { JsonObject, JsonValue } from "../../engine/nn/json.js";

/** The dataset's tokenizer record, checked; RangeError naming what is missing. */
export function tokenizerFromInfo(info: JsonObject): JsonObject {
  const t = Object.hasOwn(info, "tokenizer") ? info["tokenizer"] : undefined;
  if (typeof t !== "object" || t === null || Array.isArray(t)) {
    throw new RangeError(
      'Text previews need the dataset to record its tokenizer (info.tokenizer = { kind: "byte" } or { kind: "char", vocab: [...] }); a text corpus dataset does.',
    );
  }
  const kind = (t as JsonObject)["kind"];
  if (kind === "byte") return { kind };
  const vocab = (t as JsonObject)["vocab"];
  if (kind === "char" && Array.isArray(vocab) && vocab.every((v: JsonValue) => typeof v === "string")) return { kind, vocab };
  throw new RangeError(
    `The dataset's tokenizer ${JSON.stringify(t).slice(0, 80)} is not one nbresume can decode ({ kind: "byte" } or { kind: "char", vocab: [strings] }).`,
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

export function decodeTokens(ids: ArrayLike<bigint | number>, tokenizer: JsonObject): string {
  if (tokenizer["kind"] === "byte") {
    const bytes = Uint8Array.from({ length: ids.length }, (_, i) => {
      const v = Number(ids[i]!);
      return v >= 0 && v < 256 ? v : 0x3f;
    });
    return utf8.decode(bytes);
  }
  const vocab = tokenizer["vocab"] as readonly string[];
  let out = "";
  for (let i = 0; i < ids.length; i++) out += vocab[Number(ids[i]!)] ?? "\ufffd";
  return out;
}
