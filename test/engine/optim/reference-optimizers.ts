/**
 * Plain TypeScript reference update rules (float64), written the way torch.optim documents them,
 * not the way our graphs compute them, so a reformulation error shows up.
 */
export interface RefEntry {
  p: Float64Array;
  state: Record<string, Float64Array>;
}

export function refSgd(e: RefEntry, g: Float32Array, lr: number, o: { momentum: number; nesterov: boolean; weightDecay: number; decay: boolean }): void {
  const buf = e.state["momentum"];
  for (let i = 0; i < e.p.length; i++) {
    let d = g[i]!;
    if (o.decay) d += o.weightDecay * e.p[i]!;
    if (o.momentum > 0) {
      buf![i] = o.momentum * buf![i]! + d; // dampening 0; buf starts at 0, so step 1 gives buf = d
      d = o.nesterov ? d + o.momentum * buf![i]! : buf![i]!;
    }
    e.p[i] = e.p[i]! - lr * d;
  }
}

export function refAdam(
  e: RefEntry,
  g: Float32Array,
  lr: number,
  t: number,
  o: { beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; decay: boolean },
): void {
  const m = e.state["m"]!;
  const v = e.state["v"]!;
  const bc1 = 1 - o.beta1 ** t;
  const bc2 = 1 - o.beta2 ** t;
  for (let i = 0; i < e.p.length; i++) {
    let grad = g[i]!;
    if (o.decay && o.decoupled) e.p[i] = e.p[i]! * (1 - lr * o.weightDecay);
    if (o.decay && !o.decoupled) grad += o.weightDecay * e.p[i]!;
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * grad;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * grad * grad;
    const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + o.eps;
    e.p[i] = e.p[i]! - (lr / bc1) * (m[i]! / denom);
  }
}

export function toRef(param: Float32Array, slots: readonly string[]): RefEntry {
  return { p: Float64Array.from(param), state: Object.fromEntries(slots.map((s) => [s, new Float64Array(param.length)])) };
}
