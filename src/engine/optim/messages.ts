/** User-facing messages of the optimizers and learning-rate schedules (tests assert against these functions). */

export const optimMessages = {
  notFinite(where: string, name: string, got: unknown): string {
    return `${where}: ${name} must be a finite number, got ${String(got)}.`;
  },
  negative(where: string, name: string, got: number): string {
    return `${where}: ${name} must be ≥ 0, got ${got}.`;
  },
  notPositive(where: string, name: string, got: number): string {
    return `${where}: ${name} must be > 0, got ${got}.`;
  },
  notUnitInterval(where: string, name: string, got: number): string {
    return `${where}: ${name} must be in [0, 1), got ${got}.`;
  },
  badStep(where: string, step: number): string {
    return `${where}: step must be a non-negative integer, got ${step}.`;
  },
  firstStepIsOne(where: string, step: number): string {
    return `${where}: the first update is step 1, got ${step}.`;
  },
  totalStepsTooFew(warmupSteps: number, totalSteps: number): string {
    return `cosineWithWarmup: totalSteps must be an integer > warmupSteps (${warmupSteps}), got ${totalSteps}.`;
  },
  noGradients(): string {
    return "clipGradNorm: no gradients given.";
  },
  nesterovWithoutMomentum(): string {
    return "sgd: nesterov needs a momentum > 0.";
  },
};
