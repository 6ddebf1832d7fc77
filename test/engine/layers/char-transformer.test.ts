/**
 * The attention layers learning for real: bench/char-transformer-model.ts (a character-level GPT
 * built from the layer functions) trained by the real TrainingSession with AdamW on ~5 KB of
 * English (Shakespeare, Coriolanus I.i, public domain), then its "next" graph predicting the text.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { charCodec, charTransformer, textWindows, unigramEntropy } from "../../../bench/char-transformer-model.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { cosineWithWarmup } from "../../../src/engine/optim/schedules.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { createTrainingSession } from "../../../src/engine/session/onnx-training-session.js";

const TEXT = readFileSync(join(import.meta.dirname, "fixtures", "coriolanus.txt"), "utf8");

describe("char transformer (bench/char-transformer-model.ts)", () => {
  it("counts its characters: the fixture's vocabulary and unigram entropy", () => {
    const codec = charCodec(TEXT);
    const tokens = codec.encode(TEXT);
    assert.equal(codec.decode(tokens), TEXT);
    const h = unigramEntropy(tokens);
    assert.ok(codec.chars.length > 40 && codec.chars.length < 70, `${codec.chars.length} characters`);
    assert.ok(h > 2.8 && h < 3.3, `unigram entropy ${h} nats`);
    // A uniform text of k symbols has entropy ln k.
    assert.ok(Math.abs(unigramEntropy(BigInt64Array.from({ length: 300 }, (_, i) => BigInt(i % 3))) - Math.log(3)) < 1e-12);
  });

  it('learns the text: mean cross-entropy well below the unigram entropy, and "next" predicts most characters (2 layers, d 64, context 32)', async function () {
    this.timeout(120_000);
    const codec = charCodec(TEXT);
    const tokens = codec.encode(TEXT);
    const entropy = unigramEntropy(tokens);
    const context = 32;
    const batchSize = 16;
    const steps = 600;
    const model = charTransformer({ vocab: codec.chars.length, context, dim: 64, layers: 2, heads: 4 });
    const root = createGenerator(21);
    const data = root.fork("data");
    const session = await createTrainingSession({
      model,
      optimizer: adamw({ weightDecay: 0.01 }),
      schedule: cosineWithWarmup({ lr: 3e-3, warmupSteps: 20, totalSteps: steps }),
      batchSize,
      rng: root.fork("train"),
    });
    try {
      const evalBatches = Array.from({ length: 4 }, () => textWindows(tokens, batchSize, context, root.fork("eval")));
      const evaluate = async (): Promise<number> => {
        let sum = 0;
        for (const b of evalBatches) sum += (await session.evaluate(b, root.fork("unused"))).loss;
        return sum / evalBatches.length;
      };
      const before = await evaluate();
      for (let i = 0; i < steps; i++) await session.step(textWindows(tokens, batchSize, context, data));
      const after = await evaluate();
      assert.ok(Math.abs(before - Math.log(codec.chars.length)) < 0.3, `untrained loss ${before} ≈ ln(vocab) ${Math.log(codec.chars.length)}`);
      assert.ok(after < 0.5 * entropy, `loss ${after.toFixed(3)} nats after ${steps} steps, unigram entropy ${entropy.toFixed(3)}`);

      // Greedy next-character prediction at the end of 64 windows of the text, against always
      // guessing the most frequent character.
      const next = await session.graph("next", batchSize);
      const vocab = codec.chars.length;
      let right = 0;
      let total = 0;
      for (let k = 0; k < 4; k++) {
        const windows = textWindows(tokens, batchSize, context, root.fork(`windows:${k}`));
        const logits = (await next.run({ ids: { dtype: "int64", shape: [batchSize, context], data: windows.input } }))["logits"]!;
        assert.deepEqual(logits.shape, [batchSize, vocab]);
        for (let b = 0; b < batchSize; b++) {
          const row = Array.from((logits.data as Float32Array).subarray(b * vocab, (b + 1) * vocab));
          if (BigInt(row.indexOf(Math.max(...row))) === windows.target[b * context + context - 1]) right++;
          total++;
        }
      }
      const counts = new Map<bigint, number>();
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      const mostFrequent = Math.max(...counts.values()) / tokens.length;
      assert.ok(
        right / total >= Math.max(0.5, 2 * mostFrequent),
        `${right} of ${total} next characters predicted; the most frequent character is ${(100 * mostFrequent).toFixed(0)}% of the text`,
      );
    } finally {
      await session.release();
    }
  });
});
