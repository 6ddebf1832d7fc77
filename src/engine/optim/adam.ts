/**
 * Adam (torch.optim.Adam, L2 weight decay added to the gradient) and the shared update AdamW uses.
 *
 *   m = β1·m + (1−β1)·g,   v = β2·v + (1−β2)·g²
 *   p = p − lr/bc1 · m / (√v/√bc2 + ε)           bc1 = 1−β1^t, bc2 = 1−β2^t
 *
 * computed in the equivalent form p − α·m/(√v + ε̂) with α = lr·√bc2/bc1 and ε̂ = ε·√bc2 (the Adam
 * paper's "efficient version"): α and ε̂ are fed per step, which saves two full-size ops per tensor.
 */
import { add, div, mul, sqrt, sub } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { checkFinite, checkNonNegative, checkPositive, checkStep, checkUnitInterval } from "./hyperparameters.js";
import { optimMessages as msg } from "./messages.js";
import type { Optimizer, UpdatedEntry } from "./optimizer.js";

export interface AdamOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
}

export function adam(options: AdamOptions = {}): Optimizer {
  return adamFamily("adam", options, false);
}

/** Adam or AdamW (`decoupled`: p ← p·(1 − lr·wd) before the Adam step, no L2 in the gradient). */
export function adamFamily(name: string, options: AdamOptions, decoupled: boolean): Optimizer {
  const beta1 = checkUnitInterval(name, "beta1", options.beta1 ?? 0.9);
  const beta2 = checkUnitInterval(name, "beta2", options.beta2 ?? 0.999);
  const eps = checkPositive(name, "eps", options.eps ?? 1e-8);
  const weightDecay = checkNonNegative(name, "weightDecay", options.weightDecay ?? (decoupled ? 0.01 : 0));
  return {
    config: { name, beta1, beta2, eps, weightDecay },
    slots: ["m", "v"],
    scalars(lr, step) {
      checkFinite(name, "lr", lr);
      if (checkStep(name, step) < 1) throw new RangeError(msg.firstStepIsOne(name, step));
      const bc1 = 1 - beta1 ** step;
      const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
      const s: Record<string, number> = { adam_alpha: (lr * sqrtBc2) / bc1, adam_eps: eps * sqrtBc2 };
      if (decoupled) s["adam_decay"] = 1 - lr * weightDecay;
      return s;
    },
    update(g, entries, { derived }) {
      const b1 = g.scalar(beta1);
      const b1c = g.scalar(1 - beta1);
      const b2 = g.scalar(beta2);
      const b2c = g.scalar(1 - beta2);
      const wd = g.scalar(weightDecay);
      const alpha = derived["adam_alpha"]!;
      const epsHat = derived["adam_eps"]!;
      return entries.map((e): UpdatedEntry => {
        const decays = weightDecay > 0 && e.decay;
        let grad: Value = e.grad;
        if (decays && !decoupled) grad = add(grad, mul(e.param, wd));
        const m = add(mul(e.state["m"]!, b1), mul(grad, b1c));
        const v = add(mul(e.state["v"]!, b2), mul(mul(grad, grad), b2c));
        const step = mul(div(m, add(sqrt(v), epsHat)), alpha);
        const base = decays && decoupled ? mul(e.param, derived["adam_decay"]!) : e.param;
        return { param: sub(base, step), state: { m, v } };
      });
    },
  };
}
