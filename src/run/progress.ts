/**
 * Training progress as plain state: steps done, windowed rate, ETA, last and smoothed loss.
 * Pure: the caller passes the time with every call (performance.now() in the run loop, fixed
 * numbers in tests), so nothing here reads a clock. progress-format.ts turns a snapshot into a
 * terminal line, HTML or markdown.
 */
import { Ema } from "../shared/ema.js";
import { progressMessages } from "./progress-messages.js";

export interface ProgressOptions {
  /** The step training stops at (the run's `steps`). */
  readonly total: number;
  /** The step this session starts from: 0, or the resumed checkpoint's step. */
  readonly startStep?: number;
  /** The time the session started, in ms on the same clock as later calls. */
  readonly startTimeMs: number;
  /** The rate is measured over the steps of the last `rateWindowMs` (default 10 s). */
  readonly rateWindowMs?: number;
  /** EMA weight for the smoothed loss (bias-corrected), default 0.98 (~50 steps). */
  readonly smoothing?: number;
  /** Loss history to seed the smoothed loss with on resume (e.g. the checkpoint's last losses). */
  readonly lossHistory?: readonly number[];
}

export interface ProgressSnapshot {
  readonly step: number;
  readonly total: number;
  readonly startStep: number;
  /** step / total, 0–1. */
  readonly fraction: number;
  /** Since this session started. */
  readonly elapsedMs: number;
  /** Steps per second over the rate window; undefined until two steps are timed. */
  readonly stepsPerSecond: number | undefined;
  /** Time left at the current rate; 0 when done; undefined while the rate is unknown. */
  readonly etaMs: number | undefined;
  /** The most recent loss as recorded (may be NaN). */
  readonly loss: number | undefined;
  /** Bias-corrected EMA of the finite losses. */
  readonly smoothedLoss: number | undefined;
  /** How many recorded losses were NaN or infinite (left out of the average). */
  readonly nonFiniteLosses: number;
  readonly done: boolean;
}

interface Sample {
  step: number;
  timeMs: number;
}

/** The sample list keeps at most this many points per window, however fast steps are. */
const SAMPLES_PER_WINDOW = 64;

export class ProgressTracker {
  readonly total: number;
  readonly startStep: number;
  readonly startTimeMs: number;
  private readonly windowMs: number;
  private readonly ema: Ema;
  private readonly samples: Sample[];
  private step: number;
  private lastTimeMs: number;
  private lastLoss: number | undefined;
  private nonFinite = 0;

  constructor(options: ProgressOptions) {
    const { total, startTimeMs } = options;
    const startStep = options.startStep ?? 0;
    const windowMs = options.rateWindowMs ?? 10_000;
    if (!Number.isInteger(total) || total < 0) throw new RangeError(progressMessages.badOption("total", total, "an integer ≥ 0"));
    if (!Number.isInteger(startStep) || startStep < 0) {
      throw new RangeError(progressMessages.badOption("startStep", startStep, "an integer ≥ 0"));
    }
    if (!Number.isFinite(startTimeMs)) throw new RangeError(progressMessages.badOption("startTimeMs", startTimeMs, "a finite time in ms"));
    if (!(windowMs > 0)) throw new RangeError(progressMessages.badOption("rateWindowMs", windowMs, "a positive number of ms"));
    const smoothing = options.smoothing ?? 0.98;
    if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(progressMessages.badOption("smoothing", smoothing, "a number in [0, 1)"));
    this.total = total;
    this.startStep = startStep;
    this.startTimeMs = startTimeMs;
    this.windowMs = windowMs;
    this.ema = new Ema(smoothing);
    for (const loss of options.lossHistory ?? []) this.ema.push(loss);
    this.step = startStep;
    this.lastTimeMs = startTimeMs;
    this.samples = [{ step: startStep, timeMs: startTimeMs }];
  }

  /** Records that training reached `step` at `timeMs`, with that step's loss if known. */
  record(step: number, timeMs: number, loss?: number): void {
    if (!Number.isInteger(step) || step < this.step) {
      throw new RangeError(progressMessages.stepBackwards(step, this.step));
    }
    if (!Number.isFinite(timeMs) || timeMs < this.lastTimeMs) {
      throw new RangeError(progressMessages.timeBackwards(timeMs, this.lastTimeMs));
    }
    this.step = step;
    this.lastTimeMs = timeMs;
    if (loss !== undefined) {
      this.lastLoss = loss;
      if (Number.isFinite(loss)) this.ema.push(loss);
      else this.nonFinite++;
    }
    // Keep one sample per window/64 ms: the newest point moves forward instead of adding one,
    // so memory stays bounded at thousands of steps per second.
    const last = this.samples[this.samples.length - 1];
    const previous = this.samples[this.samples.length - 2];
    if (last !== undefined && previous !== undefined && timeMs - previous.timeMs < this.windowMs / SAMPLES_PER_WINDOW) {
      last.step = step;
      last.timeMs = timeMs;
    } else {
      this.samples.push({ step, timeMs });
    }
    // Drop samples older than the window, keeping the last one before it as the rate's anchor.
    while (this.samples.length > 2 && (this.samples[1]?.timeMs ?? timeMs) <= timeMs - this.windowMs) this.samples.shift();
  }

  snapshot(nowMs: number): ProgressSnapshot {
    const { total, startStep, step } = this;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    let stepsPerSecond: number | undefined;
    if (first !== undefined && last !== undefined && last.step > first.step && last.timeMs > first.timeMs) {
      stepsPerSecond = ((last.step - first.step) * 1000) / (last.timeMs - first.timeMs);
    }
    const done = step >= total;
    const remaining = Math.max(0, total - step);
    const etaMs = done ? 0 : stepsPerSecond === undefined ? undefined : (remaining / stepsPerSecond) * 1000;
    return {
      step,
      total,
      startStep,
      fraction: total === 0 ? 1 : Math.min(1, step / total),
      elapsedMs: Math.max(0, nowMs - this.startTimeMs),
      stepsPerSecond,
      etaMs,
      loss: this.lastLoss,
      smoothedLoss: this.ema.value,
      nonFiniteLosses: this.nonFinite,
      done,
    };
  }
}
