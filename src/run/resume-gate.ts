/**
 * What a checkpoint must pass before a run resumes it (resumable()'s step 2), besides verifying:
 *
 *   its state      written by resumable() (state.json parsed: RUN_STATE_INVALID otherwise)
 *   its weights    the model tensors against the model's parameters (names, dtypes, shapes): a
 *                  changed architecture stops here, before any preview, whatever allowConfigChange
 *   its config     compared with this run's: unsafe changes refused unless allowConfigChange;
 *                  changed data said in words first, one line per dataset (data-changes.ts)
 *   its model code the loss graph's fingerprint (after the session compiles)
 *   the validation gate   its previews drawn from its own weights (the EMA's when kept) and their
 *                  numbers checked — finite, not degenerate (preview-check.ts, a kind's check()) —
 *                  then, when validate.metric is set, that metric on held-out data within bounds
 *
 * The gate answers what is wrong, in one line, or undefined; the pipeline decides what follows
 * (validate: fallback | warn | stop).
 */
import { diffConfigs } from "../shared/config-diff.js";
import type { LoadedCheckpoint } from "../checkpoint/store.js";
import type { Batch } from "../engine/data/batch.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { Generator } from "../engine/random/generator.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { discoverModel } from "../engine/session/model-discovery.js";
import { NbresumeError } from "../errors.js";
import type { TensorGroup } from "../tensor.js";
import { dataChanges, isDataPath } from "./data-changes.js";
import { EMA_GROUP } from "./ema.js";
import { evaluateHeldOut } from "./evaluation.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import type { ResolvedOptions } from "./options.js";
import { modelFit } from "./model-fit.js";
import type { Candidate } from "./resume-plan.js";
import { changeRows, judgeConfigDiff } from "./run-config.js";
import type { RunOutput } from "./run-output.js";
import { lossOf } from "./run-saves.js";
import { parseRunState, type RunState } from "./run-state.js";

/** The run state of a loaded checkpoint; RUN_STATE_INVALID when resumable() did not write it. */
export function checkedState(loaded: LoadedCheckpoint): RunState {
  const parsed = parseRunState(loaded.state);
  if ("problem" in parsed) throw new NbresumeError(RunErrorCode.STATE_INVALID, msg.stateInvalid(loaded.name, parsed.problem), { where: loaded.path });
  return parsed.state;
}

/**
 * The checkpoint's config against this run's: the changes shown; a model its weights do not fit
 * refused (STATE_MISMATCH, allowConfigChange or not); other unsafe changes refused unless
 * allowConfigChange.
 */
export function checkConfig(o: ResolvedOptions, config: JsonObject, out: RunOutput, loaded: LoadedCheckpoint, saved: RunState): void {
  const diff = diffConfigs(saved.config, config);
  const changes = diff.same ? [] : judgeConfigDiff(diff, saved.config);
  if (changes.length > 0)
    out.table({ title: msg.configDiffTitle(), columns: ["setting", "checkpoint → now"], rows: changeRows(changes, (s) => msg.severityLabel(s)) });
  checkArchitecture(o, loaded, changes);
  const unsafe = changes.filter((c) => c.severity === "unsafe");
  if (unsafe.length === 0) return;
  // Changed data is said in words first (the table has its hash keys).
  const data = unsafe.some((c) => isDataPath(c.path)) ? dataChanges(saved.config, config).map((c) => msg.dataChange(c)) : [];
  if (!o.allowConfigChange) {
    const message =
      data.length > 0
        ? msg.dataChanged(
            o.dir,
            loaded.name,
            data,
            unsafe.filter((c) => !isDataPath(c.path)),
          )
        : msg.unsafeConfigChange(o.dir, loaded.name, unsafe);
    throw new NbresumeError(RunErrorCode.CONFIG_CHANGED, message, { where: loaded.path });
  }
  for (const line of data) out.warn(msg.dataChangeAllowed(line));
  out.warn(msg.configChangeAllowed(unsafe.length));
}

/**
 * The checkpoint's model tensors against the model's parameters (declared by building its loss
 * once, no session compiled): names, dtypes and shapes. A mismatch is a changed architecture, which
 * no override resumes: said with what to do (a new dir; initFrom there for the parameters that fit).
 */
export function checkArchitecture(o: ResolvedOptions, loaded: LoadedCheckpoint, changes: readonly { path: string; old: unknown; new: unknown }[]): void {
  const fit = modelFit(discoverModel(o.model, o.batchSize).parameters, loaded.tensors["model"] ?? {});
  if (fit.fits) return;
  const modelChanges = changes.filter((c) => /^model([.[]|$)/.test(c.path));
  const initFrom = fit.loaded.length > 0 ? loaded.path : undefined;
  throw new NbresumeError(RunErrorCode.STATE_MISMATCH, msg.architectureChanged(o.dir, loaded.name, fit, modelChanges, initFrom), { where: loaded.path });
}

/** The model's code against the checkpoint's: a changed loss graph is a changed model, like a changed config. */
export function checkFingerprint(o: ResolvedOptions, out: RunOutput, session: TrainingSession<Batch>, loaded: LoadedCheckpoint, saved: RunState): void {
  const before = saved.model?.fingerprint;
  if (before === undefined || before === session.modelFingerprint) return;
  if (!o.allowConfigChange) {
    throw new NbresumeError(RunErrorCode.CONFIG_CHANGED, msg.modelGraphChanged(o.dir, loaded.name, before, session.modelFingerprint), { where: loaded.path });
  }
  out.warn(msg.modelGraphChangeAllowed(loaded.name));
}

/** Whether a checkpoint's previews show its EMA weights (the run keeps one, and the checkpoint has it). */
export function showsEma(o: ResolvedOptions, loaded: LoadedCheckpoint): boolean {
  return o.ema !== undefined && loaded.tensors[EMA_GROUP] !== undefined;
}

/** The weights a checkpoint's previews show: its EMA when the run keeps one, else the model's. */
export function previewWeights(o: ResolvedOptions, loaded: LoadedCheckpoint): TensorGroup {
  return (showsEma(o, loaded) ? loaded.tensors[EMA_GROUP] : loaded.tensors["model"]) ?? {};
}

/** The caption of a checkpoint's resume preview. */
export function resumeCaption(o: ResolvedOptions, loaded: LoadedCheckpoint): string {
  return msg.previewCaption(loaded.step, lossOf(loaded.metrics), loaded.kind, showsEma(o, loaded));
}

export interface GateContext {
  readonly o: ResolvedOptions;
  /** Draws, shows and saves the previews of these weights: what their numbers say is wrong (undefined: none drawn). */
  preview(parameters: TensorGroup, step: number, caption: string, onThisThread: boolean): Promise<readonly string[] | undefined>;
  /** The training session (compiling, or compiled), for the metric bound. */
  session(): Promise<TrainingSession<Batch>>;
  /** The evaluation's generator fork (the same every time, as the run's evaluations use). */
  evalRng(): Generator;
}

/**
 * The validation gate: the candidate's previews drawn (on this thread, or on the sampler thread
 * while this one compiles the session) and their numbers checked; then the metric bound. What is
 * wrong, or undefined when it passes (or validate is false: the preview is drawn, not checked).
 */
export async function validateCandidate(ctx: GateContext, candidate: Candidate, onThisThread: boolean): Promise<string | undefined> {
  const { o } = ctx;
  const { loaded } = candidate;
  const problems = await ctx.preview(previewWeights(o, loaded), loaded.step, resumeCaption(o, loaded), onThisThread);
  if (o.validate.action === "off") return undefined;
  if (problems !== undefined && problems.length > 0) return problems.join("; ");
  const bound = o.validate.metric;
  if (bound === undefined) return undefined;
  const s = await ctx.session();
  // The candidate's weights in the session (everything else is restored from the chosen one later).
  s.loadStateDict({ tensors: { model: loaded.tensors["model"] ?? {}, optimizer: s.stateDict().tensors.optimizer }, state: candidate.saved.training });
  const metrics = await evaluateHeldOut(s, o.test!, o.batchSize, o.evalBatches, ctx.evalRng());
  const value = metrics[bound.name];
  if (value === undefined) return undefined;
  const ok = Number.isFinite(value) && (bound.min === undefined || value >= bound.min) && (bound.max === undefined || value <= bound.max);
  return ok ? undefined : msg.metricOutOfBounds(bound.name, value, bound);
}
