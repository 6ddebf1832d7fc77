/**
 * The char transformer's training step on TensorFlow.js (wasm backend, SIMD, one thread), as the
 * baseline of bench/transformer.bench.ts: the same architecture as bench/char-transformer-model.ts
 * (token + position embeddings, pre-LayerNorm blocks of causal multi-head attention with a fused
 * q/k/v projection and an additive −1e9 mask, exact-erf GELU MLP, final LayerNorm, linear head),
 * the same loss (mean softmax cross-entropy over B·T positions) and AdamW (decoupled decay of the
 * matrices and embeddings, then tfjs's Adam). Two differences: the token embedding is a one-hot
 * product, as tfjs's wasm backend has no UnsortedSegmentSum for a Gather's gradient; and every
 * matrix product has a custom gradient with explicit transposes (see `mm`), which makes tfjs's step
 * several times faster than its own gradients do: the stricter baseline. tfjs itself is set up by
 * bench/tfjs-wasm.ts.
 */
import type * as tfc from "@tensorflow/tfjs-core";
import type { CharTransformerConfig } from "./char-transformer-model.js";
import { tfjsWasm } from "./tfjs-wasm.js";

type T = tfc.Tensor;
type Var = tfc.Variable;

export interface TfjsTransformer {
  /** One training step (forward, backward, AdamW) on a fixed random batch; returns its loss. */
  step(): number;
  /** The loss of the same batch, forward only. */
  forward(): number;
  release(): void;
}

export async function tfjsTransformer(config: CharTransformerConfig, batch: number, lr = 1e-3, weightDecay = 0.01): Promise<TfjsTransformer> {
  const tf = await tfjsWasm();
  const { vocab: V, context: Tn, dim: D, layers: L, heads: H } = config;
  const hidden = config.hidden ?? 4 * D;
  const dh = D / H;
  const vars: Var[] = [];
  const decayed: Var[] = [];
  let id = 0;
  const variable = (init: T, decay: boolean): Var => {
    const v = tf.variable(init, true, `transformer/${id++}`);
    vars.push(v);
    if (decay) decayed.push(v);
    return v;
  };
  const dense = (cin: number, cout: number) => ({
    w: variable(tf.randomUniform([cin, cout], -1 / Math.sqrt(cin), 1 / Math.sqrt(cin)), true),
    b: variable(tf.randomUniform([cout], -1 / Math.sqrt(cin), 1 / Math.sqrt(cin)), false),
  });
  const norm = () => ({ g: variable(tf.ones([D]), false), b: variable(tf.zeros([D]), false) });
  const token = variable(tf.randomNormal([V, D], 0, 0.02), true);
  const position = variable(tf.randomNormal([Tn, D], 0, 0.02), true);
  const blocks = Array.from({ length: L }, () => ({
    ln1: norm(),
    qkv: dense(D, 3 * D),
    out: dense(D, D),
    ln2: norm(),
    fc1: dense(D, hidden),
    fc2: dense(hidden, D),
  }));
  const lnF = norm();
  const head = dense(D, V);

  // A matrix product whose gradient transposes explicitly: tfjs's own gradient multiplies with
  // transposeA, which its wasm BatchMatMul runs ~30× slower than a plain product (a [128, 4096]ᵀ
  // weight gradient: 400 ms against 14 ms for the forward's product of the same size, measured).
  const lastTwo = (x: T): T => tf.transpose(x, [...Array(x.rank - 2).keys(), x.rank - 1, x.rank - 2]);
  const mm = tf.customGrad<T>((a, b, save) => {
    (save as tfc.GradSaveFunc)([a as T, b as T]);
    return {
      value: tf.matMul(a as T, b as T),
      gradFunc: (dy, saved) => [tf.matMul(dy, lastTwo(saved[1]!)), tf.matMul(lastTwo(saved[0]!), dy)],
    };
  });
  const linear = (x: T, p: { w: Var; b: Var }): T => tf.add(mm(x, p.w), p.b);
  const layerNorm = (x: T, p: { g: Var; b: Var }): T => {
    const { mean, variance } = tf.moments(x, [1], true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), p.g), p.b);
  };
  const gelu = (x: T): T => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  const maskData = new Float32Array(Tn * Tn);
  for (let i = 0; i < Tn; i++) maskData.fill(-1e9, i * Tn + i + 1, (i + 1) * Tn);
  const mask = tf.tensor2d(maskData, [Tn, Tn]);
  const heads = (x: T): T => tf.transpose(tf.reshape(x, [batch, Tn, H, dh]), [0, 2, 1, 3]);
  const attention = (x: T, p: (typeof blocks)[number]): T => {
    const [q, k, v] = tf.split(linear(x, p.qkv), 3, 1);
    const scores = tf.add(tf.mul(mm(heads(q!), lastTwo(heads(k!))), 1 / Math.sqrt(dh)), mask);
    const o = mm(tf.softmax(scores), heads(v!));
    return linear(tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [batch * Tn, D]), p.out);
  };

  // A fixed batch of ids and next-token targets, one-hot.
  const ids = tf.cast(tf.floor(tf.randomUniform([batch * Tn], 0, V)), "int32");
  const targets = tf.oneHot(tf.cast(tf.floor(tf.randomUniform([batch * Tn], 0, V)), "int32"), V);
  const inputs = tf.oneHot(ids, V);
  const loss = (): tfc.Scalar => {
    let h = tf.add(mm(inputs, token), tf.tile(position, [batch, 1]));
    for (const p of blocks) {
      h = tf.add(h, attention(layerNorm(h, p.ln1), p));
      h = tf.add(h, linear(gelu(linear(layerNorm(h, p.ln2), p.fc1)), p.fc2));
    }
    return tf.losses.softmaxCrossEntropy(targets, linear(layerNorm(h, lnF), head));
  };
  const optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  return {
    step() {
      tf.tidy(() => {
        for (const v of decayed) v.assign(tf.mul(v, 1 - lr * weightDecay));
      });
      const l = optimizer.minimize(loss, true, vars)!;
      const value = l.dataSync()[0]!;
      l.dispose();
      return value;
    },
    forward() {
      return tf.tidy(() => loss().dataSync()[0]!);
    },
    release() {
      tf.dispose([mask, ids, targets, inputs, ...vars]);
      optimizer.dispose();
    },
  };
}
