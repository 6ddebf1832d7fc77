/**
 * A character-level GPT as a `Model`, for the transformer benchmark (bench/transformer.bench.ts)
 * and the learning test of the attention layers. Built only from the layer functions:
 *
 *   const model = charTransformer({ vocab: 96, context: 128, dim: 128, layers: 4, heads: 4 });
 *
 * Inputs `input` and `target`, int64 [B, T] (T = context): target[b, t] is the character after
 * input[b, t]. Loss: the mean cross-entropy of all B·T next-character predictions (nats). Graph
 * "next": ids [B, T] → logits [B, vocab] of the character after the last position, for generating text.
 *
 * Batches are windows of an encoded text (`textWindows`), drawn by the caller from a generator of
 * its own; feeds() draws nothing.
 */
import { reshape } from "../src/engine/graph/functional.js";
import { causalLanguageModel, type CausalLanguageModelOptions } from "../src/engine/layers/causal-language-model.js";
import type { InputSpecs, Model } from "../src/engine/nn/model.js";
import type { Generator } from "../src/engine/random/generator.js";

export interface CharTransformerConfig {
  readonly vocab: number;
  readonly context: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  /** MLP hidden width (default 4·dim). */
  readonly hidden?: number;
}

/** B windows of T characters and, for each, the T characters one position later. */
export interface TokenBatch {
  /** [size, T] row-major. */
  readonly input: BigInt64Array;
  /** [size, T]: target[b, t] = the character after input[b, t]. */
  readonly target: BigInt64Array;
  readonly size: number;
}

export function charTransformer(config: CharTransformerConfig): Model<TokenBatch> {
  const { vocab, context, dim, layers, heads } = config;
  const hidden = config.hidden ?? 4 * dim;
  const lm: CausalLanguageModelOptions = { vocab, context, dim, layers, heads, hidden };
  const idsSpec = (n: number): InputSpecs[string] => ({ dtype: "int64", shape: [n, context] });
  return {
    config: { kind: "char-transformer", vocab, context, dim, layers, heads, hidden },
    inputs: (n) => ({ input: idsSpec(n), target: idsSpec(n) }),
    loss(scope, inputs) {
      const ids = inputs["input"]!;
      const n = ids.shape[0]!;
      const logits = reshape(causalLanguageModel(scope, ids, lm), [n * context, vocab]);
      const targets = reshape(inputs["target"]!, [n * context]);
      // Both outputs: the gradient reuses log_prob instead of recomputing the softmax.
      const [loss] = logits.graph.opMulti("SoftmaxCrossEntropyLoss", [logits, targets], { reduction: "mean" });
      return { loss: loss! };
    },
    feeds: (batch) => ({
      input: { dtype: "int64", shape: [batch.size, context], data: batch.input },
      target: { dtype: "int64", shape: [batch.size, context], data: batch.target },
    }),
    graphs: {
      next: {
        inputs: (n) => ({ ids: idsSpec(n) }),
        build: (scope, inputs) => ({ logits: causalLanguageModel(scope, inputs["ids"]!, { ...lm, positions: "last" }) }),
      },
    },
  };
}

/** A text's characters as ids: the sorted distinct characters are the vocabulary. */
export interface CharCodec {
  readonly chars: readonly string[];
  encode(text: string): BigInt64Array;
  decode(ids: ArrayLike<bigint | number>): string;
}

export function charCodec(text: string): CharCodec {
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  return {
    chars,
    encode: (s) =>
      BigInt64Array.from(s, (c) => {
        const i = index.get(c);
        if (i === undefined) throw new RangeError(`charCodec: '${c}' is not in the vocabulary of ${chars.length} characters.`);
        return BigInt(i);
      }),
    decode: (ids) => Array.from(ids, (i) => chars[Number(i)] ?? "\uFFFD").join(""),
  };
}

/** `size` windows of `context` tokens at uniformly drawn offsets of `tokens`, with their next-token targets. */
export function textWindows(tokens: BigInt64Array, size: number, context: number, rng: Generator): TokenBatch {
  if (tokens.length < context + 1) throw new RangeError(`textWindows: the text has ${tokens.length} tokens, fewer than context + 1 = ${context + 1}.`);
  const input = new BigInt64Array(size * context);
  const target = new BigInt64Array(size * context);
  for (let b = 0; b < size; b++) {
    const start = rng.int(tokens.length - context);
    input.set(tokens.subarray(start, start + context), b * context);
    target.set(tokens.subarray(start + 1, start + 1 + context), b * context);
  }
  return { input, target, size };
}

/** Entropy (nats) of the text's character frequencies: the loss of the best model that ignores context. */
export function unigramEntropy(tokens: ArrayLike<bigint>): number {
  const counts = new Map<bigint, number>();
  for (let i = 0; i < tokens.length; i++) counts.set(tokens[i]!, (counts.get(tokens[i]!) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / tokens.length) * Math.log(c / tokens.length);
  return h;
}
