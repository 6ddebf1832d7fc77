/**
 * SGD with optional momentum, Nesterov momentum and (coupled, L2) weight decay, as torch.optim.SGD
 * with dampening 0:
 *
 *   d = g + wd·p            (entries with decay)
 *   buf = μ·buf + d         (buf starts at 0, so the first step gives buf = d as PyTorch does)
 *   d = nesterov ? d + μ·buf : buf
 *   p = p − lr·d
 */
import { add, mul, sub } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { checkNonNegative, checkUnitInterval } from "./hyperparameters.js";
import { optimMessages as msg } from "./messages.js";
import type { Optimizer, UpdatedEntry } from "./optimizer.js";

export interface SgdOptions {
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly weightDecay?: number;
}

export function sgd(options: SgdOptions = {}): Optimizer {
  const momentum = checkUnitInterval("sgd", "momentum", options.momentum ?? 0);
  const weightDecay = checkNonNegative("sgd", "weightDecay", options.weightDecay ?? 0);
  const nesterov = options.nesterov ?? false;
  if (nesterov && momentum === 0) throw new RangeError(msg.nesterovWithoutMomentum());
  return {
    config: { name: "sgd", momentum, nesterov, weightDecay },
    slots: momentum > 0 ? ["momentum"] : [],
    scalars: () => ({}),
    update(g, entries, { lr }) {
      const mu = g.scalar(momentum);
      const wd = g.scalar(weightDecay);
      return entries.map((e): UpdatedEntry => {
        let d: Value = e.grad;
        if (weightDecay > 0 && e.decay) d = add(d, mul(e.param, wd));
        if (momentum === 0) return { param: sub(e.param, mul(d, lr)), state: {} };
        const buf = add(mul(e.state["momentum"]!, mu), d);
        const step = nesterov ? add(d, mul(buf, mu)) : buf;
        return { param: sub(e.param, mul(step, lr)), state: { momentum: buf } };
      });
    },
  };
}
