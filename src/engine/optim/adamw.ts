/**
 * AdamW (torch.optim.AdamW): decoupled weight decay, p ← p·(1 − lr·wd), then the Adam step with the
 * raw gradient. Decay applies to entries whose parameters ask for it (weights by default, not biases
 * or normalisation parameters). Default weightDecay 0.01 as in PyTorch.
 */
import { adamFamily, type AdamOptions } from "./adam.js";
import type { Optimizer } from "./optimizer.js";

export function adamw(options: AdamOptions = {}): Optimizer {
  return adamFamily("adamw", options, true);
}
