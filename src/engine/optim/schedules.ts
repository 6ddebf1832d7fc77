/**
 * Learning-rate schedules (pure functions of the completed-step count, see schedule.ts).
 */
import { checkNonNegative, checkPositive, checkStep } from "./hyperparameters.js";
import { optimMessages as msg } from "./messages.js";
import type { Schedule } from "./schedule.js";

export function constantLr(lr: number): Schedule {
  checkNonNegative("constantLr", "lr", lr);
  return { config: { name: "constant", lr }, lr: (step) => (checkStep("constantLr", step), lr) };
}

/** Rises linearly to `lr` over `warmupSteps` (lr·(s+1)/warmup for s < warmup), then stays there. */
export function linearWarmup(lr: number, warmupSteps: number): Schedule {
  checkNonNegative("linearWarmup", "lr", lr);
  checkStep("linearWarmup", warmupSteps);
  return {
    config: { name: "linear-warmup", lr, warmupSteps },
    lr: (step) => (checkStep("linearWarmup", step) < warmupSteps ? (lr * (step + 1)) / warmupSteps : lr),
  };
}

export interface CosineOptions {
  readonly lr: number;
  /** Steps of linear warmup before the decay (default 0). */
  readonly warmupSteps?: number;
  /** The step at which the rate reaches `minLr`, counting warmup; it stays there afterwards. */
  readonly totalSteps: number;
  readonly minLr?: number;
}

/** Linear warmup, then half a cosine from lr down to minLr at totalSteps. */
export function cosineWithWarmup(options: CosineOptions): Schedule {
  const { lr, totalSteps } = options;
  const warmupSteps = options.warmupSteps ?? 0;
  const minLr = options.minLr ?? 0;
  checkNonNegative("cosineWithWarmup", "lr", lr);
  checkNonNegative("cosineWithWarmup", "minLr", minLr);
  checkStep("cosineWithWarmup", warmupSteps);
  checkPositive("cosineWithWarmup", "totalSteps", totalSteps);
  if (!Number.isSafeInteger(totalSteps) || totalSteps <= warmupSteps) {
    throw new RangeError(msg.totalStepsTooFew(warmupSteps, totalSteps));
  }
  return {
    config: { name: "cosine", lr, warmupSteps, totalSteps, minLr },
    lr(step) {
      checkStep("cosineWithWarmup", step);
      if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
      if (step >= totalSteps) return minLr;
      const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
      return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
    },
  };
}
