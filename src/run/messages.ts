/**
 * Every user-facing message of the run (resumable(), the demo, roll-back), and its error codes.
 * Tests assert against these same functions (docs/CONTRIBUTING.md, "Messages and errors"), so wording changes in one place.
 * runMessages is one catalog made of three files: this one (options, 1. resolve),
 * verify-messages.ts (2. verify + preview) and loop-messages.ts (3.–6., roll back).
 */
import { displayPath } from "./display-path.js";
import { plural, show, initReportParts } from "./message-parts.js";
import { formatBytes, formatCount, formatLoss } from "../shared/format.js";
import { loopMessages } from "./loop-messages.js";
import { verifyMessages } from "./verify-messages.js";

export type { ChangeSeverity, ResumePart } from "./message-parts.js";

export const RunErrorCode = {
  /** The checkpoint's config differs from this run's in a way that makes resuming unsafe. */
  CONFIG_CHANGED: "RUN_CONFIG_CHANGED",
  /** A checkpoint's state.json is not what resumable() writes. */
  STATE_INVALID: "RUN_STATE_INVALID",
  /** The checkpoint's tensors do not fit the model: its architecture changed (said before any preview). */
  STATE_MISMATCH: "RUN_STATE_MISMATCH",
  /** Saving checkpoints kept failing; training stopped. */
  SAVE_FAILING: "RUN_SAVE_FAILING",
  /** The emergency checkpoint could not be written. */
  EMERGENCY_SAVE_FAILED: "RUN_EMERGENCY_SAVE_FAILED",
  /** The sampler thread could not start or died; sample grids are drawn on the training thread instead. */
  SAMPLER_STOPPED: "RUN_SAMPLER_STOPPED",
  /** onExisting: "ask" could not ask (a notebook cell, or no terminal): the choice is shown, rerun with it. */
  NEEDS_ANSWER: "RUN_NEEDS_ANSWER",
  /** onExisting: "error": the directory holds another run's checkpoints. */
  DIR_HAS_RUN: "RUN_DIR_HAS_RUN",
  /** The checkpoint to resume fails validation (validate: "stop"), or none passes (validate: "fallback"). */
  VALIDATION_FAILED: "RUN_VALIDATION_FAILED",
  /** initFrom could not be read. */
  INIT_FAILED: "RUN_INIT_FAILED",
  /** initFrom's tensors do not fit the model (strict), or none does. */
  INIT_MISMATCH: "RUN_INIT_MISMATCH",
} as const;

export type RunErrorCodeValue = (typeof RunErrorCode)[keyof typeof RunErrorCode];

export const runMessages = {
  // ── options (TypeError / RangeError at the API boundary) ───────────────────────────────────
  badOption(name: string, rule: string, value: unknown): string {
    return `resumable: ${name} must be ${rule}, got ${show(value)}.`;
  },
  missingOption(name: string, example: string): string {
    return `resumable: ${name} is required, e.g. ${example}.`;
  },
  evalNeedsTestData(batchSize: number, count: number | undefined): string {
    return count === undefined
      ? `resumable: evalEvery needs held-out data: pass data: { train, test } (mnist() returns both) or set evalEvery: false.`
      : `resumable: evalEvery needs data.test with at least batchSize (${batchSize}) examples, it has ${count}; lower batchSize or set evalEvery: false.`;
  },
  batchTooLarge(batchSize: number, count: number, name: string): string {
    return `resumable: batchSize ${batchSize} is larger than the training set ${name} (${count} examples).`;
  },
  earlyStoppingNeedsEvaluation(): string {
    return "resumable: earlyStopping watches a validation metric: pass held-out data (data: { train, test }) and keep evalEvery on.";
  },
  validateMetricNeedsData(): string {
    return "resumable: validate.metric is measured on held-out data: pass data: { train, test } and keep evalEvery on.";
  },

  // ── 1. resolve ─────────────────────────────────────────────────────────────────────────────
  startingFromScratch(dir: string): string {
    return `No checkpoint in ${displayPath(dir)}: starting from scratch.`;
  },
  configTitle(settings: number): string {
    return `Run configuration (${settings} settings, recorded in every checkpoint)`;
  },
  skippedCheckpoint(name: string, problem: string, using: string): string {
    return `Checkpoint ${name} is damaged (${problem}); falling back to ${using}.`;
  },
  /** A checkpoint whose metrics are not finite: intact files, but resuming into it would diverge again. */
  skippedDiverged(name: string, problem: string, using: string): string {
    return `Checkpoint ${name} diverged (${problem}); not resuming into it: falling back to ${using}, the newest whose metrics are finite. Lower the learning rate or clip gradients (clipGradNorm) before training on.`;
  },
  /** The run directory cannot be written: the newest checkpoint is loaded and previewed, nothing is trained or saved. */
  readOnlyRun(dir: string, detail: string): string {
    return `${displayPath(dir)} cannot be written (${detail}): opened read-only — the newest checkpoint is shown, but this run cannot train or save. Make the directory writable (or copy it somewhere writable) and rerun to resume.`;
  },

  /** A checkpoint whose parameters hold NaN or ±Inf: resuming it would train nothing. */
  skippedNonFinite(name: string, detail: string, using: string | undefined): string {
    return `Checkpoint ${name} has parameters that are not finite (${detail}); not resuming into it${using === undefined ? "" : `: falling back to ${using}`}.`;
  },
  /** The resume preview found the model broken: shown above, then the next candidate. */
  skippedValidation(name: string, reason: string): string {
    return `Checkpoint ${name} fails validation: ${reason} (its preview is above). Falling back to the previous checkpoint that passes (validate: "fallback").`;
  },
  validationWarned(name: string, reason: string): string {
    return `Checkpoint ${name} fails validation: ${reason}. Resuming it anyway (validate: "warn").`;
  },
  validationStopped(name: string, reason: string): string {
    return `Not resuming ${name}: it fails validation (${reason}). Resume another checkpoint (resumeFrom: "step:N", "best-previous" or a path), or pass validate: "warn" to resume it anyway.`;
  },
  noneValidates(dir: string, tried: readonly { name: string; reason: string }[]): string {
    return `No checkpoint in ${displayPath(dir)} passes validation (${tried.map((t) => `${t.name}: ${t.reason}`).join("; ")}). Start from scratch (resumeFrom: "none"), or pass validate: "warn" to resume the newest anyway.`;
  },
  metricOutOfBounds(name: string, value: number, bound: { min?: number; max?: number }): string {
    const range =
      bound.min !== undefined && bound.max !== undefined
        ? `from ${formatLoss(bound.min)} to ${formatLoss(bound.max)}`
        : bound.max !== undefined
          ? `at most ${formatLoss(bound.max)}`
          : `at least ${formatLoss(bound.min ?? 0)}`;
    return `${name} on held-out data is ${formatLoss(value)}, which should be ${range}`;
  },
  /** Going back to an older checkpoint than the newest: the newer ones are moved aside, never deleted. */
  setAsideNewer(target: string, step: number, moved: number, bytes: number, folder: string): string {
    return `Resuming ${target} (step ${formatCount(step)}), older than the newest: moved ${plural(moved, "newer checkpoint")} (${formatBytes(bytes)}) to ${displayPath(folder)} — not deleted (\`nbresume list ${displayPath(folder)}\` lists them) — so the run continues from step ${formatCount(step)} without mixing them up.`;
  },
  /** Starting over in a directory that holds checkpoints (onExisting: "fresh", resumeFrom: "none", a weights-only restart). */
  setAsideAll(why: string, moved: number, bytes: number, folder: string): string {
    return `${why}: moved ${plural(moved, "checkpoint")} (${formatBytes(bytes)}) and the run's record to ${displayPath(folder)} — not deleted — and starting over.`;
  },
  /** Starting over in a bucket: its checkpoints move; pictures and metrics.jsonl have no folder to go to there. */
  setAsideAllInBucket(why: string, moved: number, bytes: number, folder: string): string {
    return `${why}: moved ${plural(moved, "checkpoint")} (${formatBytes(bytes)}) to ${folder} — not deleted (\`nbresume list ${folder}\` lists them) — and starting over. In a bucket the old pictures are not moved (the new run's replace them, and prune the rest as it saves) and the old metrics.jsonl is kept as metrics-before-<time>.jsonl.`;
  },
  /** Rerunning a cell whose resumeFrom / onExisting already started the newest line: it continues. */
  continuingLine(request: string, from: string | null, step: number, newest: string): string {
    const start = from === null ? `from scratch` : `from ${from} (step ${formatCount(step)})`;
    return `${request} started this run ${start}; its newest checkpoint is ${newest}: continuing it (change ${request.split(":")[0]} or the config to start again).`;
  },
  dirHasRun(dir: string, count: number, newest: string, changes: readonly string[]): string {
    return (
      `Not training in ${displayPath(dir)}: it holds ${plural(count, "checkpoint")} of another run (newest ${newest}; config changes: ${changes.join("; ")}) and onExisting is "error". ` +
      `Use a new dir, or pass onExisting: "resume" to continue it, or "fresh" to move them aside and start over.`
    );
  },
  askQuestion(dir: string, count: number, newest: string, step: number): string {
    return `${displayPath(dir)} holds ${plural(count, "checkpoint")} (newest ${newest}, step ${formatCount(step)}). Resume from it? [Y/n] (n: move them to ${displayPath(dir)}/rolled-back-<time>/ and start over) `;
  },
  askTitle(dir: string, count: number, newest: string, step: number): string {
    return `${displayPath(dir)} holds ${plural(count, "checkpoint")} (newest ${newest}, step ${formatCount(step)}): what should this run do?`;
  },
  askChoices(dir: string, step: number): [string, string][] {
    return [
      ['onExisting: "resume"', `continue from step ${formatCount(step)} (the config changes above apply)`],
      ['onExisting: "fresh"', `move the checkpoints to ${displayPath(dir)}/rolled-back-<time>/ (not deleted) and start from step 0`],
    ];
  },
  cannotAsk(where: "notebook" | "no-terminal"): string {
    return where === "notebook"
      ? `onExisting: "ask" cannot ask in a notebook cell: the tslab kernel has no input box for a running cell (it implements no stdin channel). Choose above, set onExisting to it in the cell, and rerun.`
      : `onExisting: "ask" cannot ask: there is no terminal to answer in (stdin is not a TTY). Pass onExisting: "resume" or "fresh" (the demo: --on-existing resume|fresh).`;
  },
  freshChosen(): string {
    return 'onExisting: "fresh"';
  },
  noneChosen(): string {
    return 'resumeFrom: "none"';
  },
  restartChosen(name: string, step: number): string {
    return `load: { schedule: false } (a new run from the weights of ${name}, step ${formatCount(step)})`;
  },
  initIgnored(path: string, name: string): string {
    return `initFrom (${displayPath(path)}) is for a run that starts from scratch: resuming ${name} instead.`;
  },
  /** initFrom reads local files only: a checkpoint in a bucket is resumed with dir/resumeFrom, or copied down first. */
  initFromUrl(url: string): string {
    return `initFrom: ${url} is in object storage, and initFrom reads local files only. Copy it to a directory first (\`aws s3 cp --recursive ${url} ckpt/\`) and give that, or resume the run it belongs to with dir: "${url.replace(/\/[^/]*$/, "")}".`;
  },
  initMissing(file: string): string {
    return `initFrom: ${displayPath(file)} does not exist. Give a .safetensors file, a checkpoint directory or an .onnx file.`;
  },
  initNoModelGroup(file: string, groups: readonly string[]): string {
    return `initFrom: the checkpoint ${displayPath(file)} has no "model" tensors (it has: ${groups.join(", ") || "none"}).`;
  },
  initUnreadable(file: string, detail: string): string {
    return `initFrom: ${displayPath(file)} could not be read as weights: ${detail}.`;
  },
  initMismatch(report: {
    source: string;
    loaded: readonly string[];
    missing: readonly string[];
    unused: readonly string[];
    mismatched: readonly { name: string; expected: string; found: string }[];
  }): string {
    const parts = initReportParts(report);
    if (report.loaded.length === 0) return `initFrom: no tensor of ${displayPath(report.source)} fits the model's parameters (${parts.join("; ")}).`;
    return `initFrom: ${displayPath(report.source)} does not fit the model exactly (${parts.join("; ")}). Pass initFrom: { path, strict: false } to load the ${plural(report.loaded.length, "tensor")} that fit.`;
  },
  warmStarted(report: {
    source: string;
    kind: string;
    loaded: readonly string[];
    missing: readonly string[];
    unused: readonly string[];
    mismatched: readonly { name: string; expected: string; found: string }[];
  }): string {
    const parts = initReportParts(report);
    return `Initial weights from ${displayPath(report.source)} (${report.kind}): loaded ${plural(report.loaded.length, "parameter")}${parts.length === 0 ? "." : `; ${parts.join("; ")} (kept their fresh initial values).`}`;
  },
  warmCaption(source: string): string {
    return `step 0 · initial weights from ${source}`;
  },

  ...verifyMessages,
  ...loopMessages,
} as const;
