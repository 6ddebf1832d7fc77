/**
 * The tiny/small UNet's DDPM training step on TensorFlow.js (wasm backend, SIMD, one thread), as a
 * baseline for bench/unet.bench.ts: the same architecture (widths, GroupNorm → SiLU → 3×3 conv
 * residual blocks with the timestep MLP injected, stride-2 conv down, nearest 2× + conv up, skip
 * concatenation, zero-initialised last convs), the same loss (ε-prediction MSE with x_t formed in the
 * graph from fed coefficients) and AdamW (decoupled decay, then tfjs's Adam), in NHWC with 'same'
 * padding (TF's stride-2 'same' pads 0/1 where ONNX pads 1/1: the same work). tfjs itself is set up
 * by bench/tfjs-wasm.ts.
 */
import type * as tfc from "@tensorflow/tfjs-core";
import type { UNetConfig } from "../src/engine/models/unet.js";
import { tfjsWasm } from "./tfjs-wasm.js";

type T = tfc.Tensor;
type Var = tfc.Variable;

export interface TfjsUNet {
  /** One training step (forward, backward, AdamW) on a fixed random batch; resolves when done. */
  step(): void;
  /** One forward pass (ε̂ for the batch). */
  forward(): void;
  release(): void;
}

export async function tfjsUNet(config: UNetConfig, batch: number, lr = 1e-3, weightDecay = 0.01): Promise<TfjsUNet> {
  const tf = await tfjsWasm();
  const { widths, groups, imageSize: S, imageChannels: C, embeddingDim, embeddingHidden } = config;
  const vars: Var[] = [];
  const decayed: Var[] = [];
  let id = 0;
  const param = (shape: number[], bound: number, decay: boolean, zero = false): Var => {
    const v = tf.variable(zero ? tf.zeros(shape) : tf.randomUniform(shape, -bound, bound), true, `p${id++}`);
    vars.push(v);
    if (decay) decayed.push(v);
    return v;
  };
  const convP = (cin: number, cout: number, k: number, zero = false) => {
    const b = 1 / Math.sqrt(cin * k * k);
    return { w: param([k, k, cin, cout], b, true, zero), b: param([cout], b, false, zero) };
  };
  const denseP = (cin: number, cout: number) => ({ w: param([cin, cout], 1 / Math.sqrt(cin), true), b: param([cout], 1 / Math.sqrt(cin), false) });
  const normP = (c: number) => ({ g: tf.variable(tf.ones([c]), true, `p${id++}`), b: tf.variable(tf.zeros([c]), true, `p${id++}`) });
  const norms: Var[] = [];
  const norm = (c: number) => {
    const p = normP(c);
    norms.push(p.g, p.b);
    return p;
  };
  const block = (cin: number, cout: number) => ({
    n1: norm(cin),
    c1: convP(cin, cout, 3),
    e: denseP(embeddingHidden, cout),
    n2: norm(cout),
    c2: convP(cout, cout, 3, true),
    skip: cin === cout ? undefined : convP(cin, cout, 1),
  });

  const time = { fc1: denseP(embeddingDim, embeddingHidden), fc2: denseP(embeddingHidden, embeddingHidden) };
  const convIn = convP(C, widths[0]!, 3);
  const levels = widths.length;
  const down = widths.map((w, i) => block(i === 0 ? widths[0]! : widths[i - 1]!, w));
  const pools = widths.slice(0, -1).map((w) => convP(w, w, 3));
  const mid = block(widths[levels - 1]!, widths[levels - 1]!);
  const up = widths.map((w, i) => block((i === levels - 1 ? widths[levels - 1]! : widths[i]!) + w, w));
  const resizes = widths.slice(1).map((w, i) => convP(w, widths[i]!, 3));
  const normOut = norm(widths[0]!);
  const convOut = convP(widths[0]!, C, 3, true);
  vars.push(...norms);

  const silu = (x: T): T => tf.mul(x, tf.sigmoid(x));
  const conv = (x: T, p: { w: Var; b: Var }, stride = 1): T => tf.add(tf.conv2d(x as tfc.Tensor4D, p.w as unknown as tfc.Tensor4D, stride, "same"), p.b);
  const dense = (x: T, p: { w: Var; b: Var }): T => tf.add(tf.matMul(x as tfc.Tensor2D, p.w as unknown as tfc.Tensor2D), p.b);
  const groupNorm = (x: T, p: { g: Var; b: Var }): T => {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const xr = tf.reshape(x, [n, h, w, groups, c / groups]);
    const { mean, variance } = tf.moments(xr, [1, 2, 4], true);
    const y = tf.reshape(tf.mul(tf.sub(xr, mean), tf.rsqrt(tf.add(variance, 1e-5))), [n, h, w, c]);
    return tf.add(tf.mul(y, p.g), p.b);
  };
  const resBlock = (x: T, emb: T, p: ReturnType<typeof block>, cout: number): T => {
    let h = conv(silu(groupNorm(x, p.n1)), p.c1);
    h = tf.add(h, tf.reshape(dense(silu(emb), p.e), [x.shape[0], 1, 1, cout]));
    h = conv(silu(groupNorm(h, p.n2)), p.c2);
    return tf.add(h, p.skip === undefined ? x : conv(x, p.skip));
  };
  const freqs = tf.tensor2d(
    Array.from({ length: embeddingDim / 2 }, (_, k) => Math.exp((-Math.log(10000) * k) / (embeddingDim / 2))),
    [1, embeddingDim / 2],
  );
  const unet = (x: T, t: T): T => {
    const args = tf.mul(tf.reshape(t, [batch, 1]), freqs);
    const emb = dense(silu(dense(tf.concat([tf.sin(args), tf.cos(args)], 1), time.fc1)), time.fc2);
    let h = conv(x, convIn);
    const skips: T[] = [];
    for (let i = 0; i < levels; i++) {
      h = resBlock(h, emb, down[i]!, widths[i]!);
      skips.push(h);
      if (i < levels - 1) h = conv(h, pools[i]!, 2);
    }
    h = resBlock(h, emb, mid, widths[levels - 1]!);
    for (let i = levels - 1; i >= 0; i--) {
      h = resBlock(tf.concat([h, skips[i]!], 3), emb, up[i]!, widths[i]!);
      if (i > 0) h = conv(tf.image.resizeNearestNeighbor(h as tfc.Tensor4D, [h.shape[1]! * 2, h.shape[2]! * 2]), resizes[i - 1]!);
    }
    return conv(silu(groupNorm(h, normOut)), convOut);
  };

  // A fixed batch: x_0 in [−1, 1], noise, timesteps and the per-sample coefficients √ᾱ_t, √(1−ᾱ_t).
  const x0 = tf.randomUniform([batch, S, S, C], -1, 1);
  const noise = tf.randomNormal([batch, S, S, C]);
  const t = tf.floor(tf.randomUniform([batch], 0, 1000));
  const a = tf.reshape(tf.randomUniform([batch], 0, 1), [batch, 1, 1, 1]);
  const b = tf.sqrt(tf.sub(1, tf.square(a)));
  const optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const loss = (): tfc.Scalar => tf.mean(tf.square(tf.sub(unet(tf.add(tf.mul(a, x0), tf.mul(b, noise)), t), noise)));
  return {
    step() {
      tf.tidy(() => {
        for (const v of decayed) v.assign(tf.mul(v, 1 - lr * weightDecay));
      });
      const l = optimizer.minimize(loss, true, vars);
      l!.dataSync();
      l!.dispose();
    },
    forward() {
      tf.tidy(() => unet(tf.add(tf.mul(a, x0), tf.mul(b, noise)), t).dataSync());
    },
    release() {
      tf.dispose([x0, noise, t, a, b, freqs, ...vars]);
      optimizer.dispose();
    },
  };
}
