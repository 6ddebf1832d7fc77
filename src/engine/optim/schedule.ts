/**
 * Learning-rate schedules: pure functions of the step, computed in TypeScript and fed to the graph
 * as the `lr` input. `step` counts completed steps (0 for the first step), so a resumed run computes
 * the same rate from its restored step count.
 */
import type { JsonObject } from "../nn/json.js";

export interface Schedule {
  readonly config: JsonObject;
  lr(step: number): number;
}
