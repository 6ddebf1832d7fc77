/**
 * The divergence guard: what a step whose loss or gradient norm is NaN or infinite does. The
 * training session never applies such a step (it throws or skips it: training-session.ts), so
 * nothing non-finite reaches the parameters or a checkpoint; the guard decides what follows:
 *
 *   stop        (default) the run ends with status "diverged", saying which step and what to do
 *   skip-step   the batch is skipped and training goes on; MAX_SKIPS_IN_A_ROW in a row stop it
 *   rollback    back to the newest checkpoint (weights, optimizer, step, generator) with the data
 *               moved past the batch that diverged (replaying it would diverge again);
 *               MAX_ROLLBACKS_IN_A_ROW without a checkpoint in between stop it
 *
 * Its counters are in every checkpoint's state, so a resumed run counts as the uninterrupted one.
 */
import type { StepResult } from "../engine/session/training-session.js";

export const MAX_SKIPS_IN_A_ROW = 20;
export const MAX_ROLLBACKS_IN_A_ROW = 3;

export type NonFinitePolicy = "stop" | "skip-step" | "rollback";

export interface DivergenceJson {
  /** Roll-backs since the last checkpoint committed after one. */
  readonly rollbacks: number;
  /** Steps skipped in all. */
  readonly skipped: number;
  /** Steps skipped in a row just now. */
  readonly skippedInARow: number;
}

export type GuardVerdict =
  | { readonly action: "go-on" }
  | { readonly action: "skipped" }
  | { readonly action: "rollback" }
  | { readonly action: "stop"; readonly why: "diverged" | "too-many-skips" | "too-many-rollbacks" };

export class DivergenceGuard {
  private state: DivergenceJson;

  constructor(
    readonly policy: NonFinitePolicy,
    saved: DivergenceJson | undefined,
  ) {
    this.state = { rollbacks: saved?.rollbacks ?? 0, skipped: saved?.skipped ?? 0, skippedInARow: saved?.skippedInARow ?? 0 };
  }

  /** The session skips non-finite steps (and reports them) unless the policy is to stop. */
  get skipsInSession(): boolean {
    return this.policy !== "stop";
  }

  /** After each step the session returned (a thrown non-finite step is `stop` by itself). */
  afterStep(result: StepResult): GuardVerdict {
    if (result.skipped === undefined) {
      if (this.state.skippedInARow > 0) this.state = { ...this.state, skippedInARow: 0 };
      return { action: "go-on" };
    }
    if (this.policy === "stop") return { action: "stop", why: "diverged" };
    if (this.policy === "rollback") {
      if (this.state.rollbacks + 1 > MAX_ROLLBACKS_IN_A_ROW) return { action: "stop", why: "too-many-rollbacks" };
      this.state = { ...this.state, rollbacks: this.state.rollbacks + 1 };
      return { action: "rollback" };
    }
    const skippedInARow = this.state.skippedInARow + 1;
    this.state = { ...this.state, skipped: this.state.skipped + 1, skippedInARow };
    return skippedInARow >= MAX_SKIPS_IN_A_ROW ? { action: "stop", why: "too-many-skips" } : { action: "skipped" };
  }

  /** A scheduled checkpoint was saved: roll-backs count again from zero. */
  checkpointed(): void {
    if (this.state.rollbacks > 0) this.state = { ...this.state, rollbacks: 0 };
  }

  get current(): DivergenceJson {
    return this.state;
  }
}
