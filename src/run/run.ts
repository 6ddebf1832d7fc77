/**
 * The run (interfaces): what `resumable()` takes and what `train()` returns. resumable.ts
 * implements them; the pipeline itself is documented there.
 */
import type { BestMetric, CheckpointKind, CheckpointStoreOptions, RetentionPolicy } from "../checkpoint/store.js";
import type { Batch } from "../engine/data/batch.js";
import type { Dataset } from "../engine/data/dataset.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { Model } from "../engine/nn/model.js";
import type { Optimizer } from "../engine/optim/optimizer.js";
import type { Schedule } from "../engine/optim/schedule.js";
import type { Seed } from "../engine/random/generator.js";
import type { StopReason } from "../notebook/interrupt.js";
import type { RunOutput } from "./run-output.js";

/**
 * Training data, and held-out data for validation and previews: `mnist()` returns { train, test },
 * `splitDataset()` { train, validation } (either name; one held-out set).
 */
export interface RunData {
  readonly train: Dataset;
  readonly test?: Dataset;
  readonly validation?: Dataset;
}

export interface PreviewOptions {
  /** Images in the grid (default 16). */
  readonly samples?: number;
  /** DDIM steps per diffusion sample (default 20). */
  readonly samplerSteps?: number;
  /**
   * DDIM's η: 1 (default) adds DDPM-like noise at each step, 0 is deterministic DDIM. Measured on the
   * tiny UNet after 1,500 steps: η = 0 leaves speckled backgrounds and blobs, η = 1 clean strokes.
   */
  readonly eta?: number;
  /**
   * Where diffusion sample grids are drawn; the samples are the same bits wherever.
   * - "auto" (default): each checkpoint's grid on a sampler thread of its own while training goes
   *   on. Grids the run waits for anyway (the resume preview, a fresh start's, the final
   *   checkpoint's) on the training thread, which has the cores then; except that on a machine
   *   with more cores than the training session's `threads`, the resume preview is drawn on the
   *   sampler thread while the training graph compiles. (On 2 cores that overlap was measured to
   *   be slower than drawing first and compiling after: BENCHMARKS.md.)
   * - "thread": every grid on the sampler thread, the resume preview always beside the compile.
   * - "main": every grid on the training thread, which waits for each.
   * A classifier's predictions are always drawn on the training thread (one forward pass).
   */
  readonly sampler?: "auto" | "thread" | "main";
}

/** Where the run's messages and live progress go. */
export type OutputKind = "auto" | "notebook" | "terminal" | "silent";

export interface ResumableOptions {
  /**
   * The run's directory: checkpoints, sample grids and previews. One run (and one writer) per
   * directory. Or a bucket, `s3://bucket/prefix` (configured as AWS tools are: AWS_PROFILE,
   * AWS_REGION, AWS_ENDPOINT_URL_S3…, or checkpointStore.s3): everything the run writes is an
   * object there, and a rerun anywhere resumes from it.
   */
  readonly dir: string;
  /** What to train, e.g. `ddpm({ unet: "tiny" })` or `mlpClassifier({ … })`. */
  readonly model: Model<Batch>;
  readonly data: RunData;
  /** e.g. `adamw()`. */
  readonly optimizer: Optimizer;
  /** Learning rate per step, e.g. `constantLr(1e-3)` or `cosineWithWarmup({ … })`. */
  readonly schedule: Schedule;
  /** The step training stops at (total, counting steps done before a resume). */
  readonly steps: number;
  readonly batchSize: number;
  /** Seeds parameters, data order and all per-step randomness (default 0). */
  readonly seed?: Seed;
  /**
   * A rolling checkpoint every this many steps (default: about 20 per run, at most every 500 steps),
   * or `{ steps?, minutes? }`: every N steps and/or every M minutes of training, whichever comes
   * first (a notebook session that may be cut off wants "every 10 minutes").
   */
  readonly checkpointEvery?: number | CheckpointEvery;
  /** Validation every this many steps on `data.test` (default: checkpointEvery when there is test data); false: never. */
  readonly evalEvery?: number | false;
  /** Validation batches per evaluation, the first ones of data.test in order (default 4). */
  readonly evalBatches?: number;
  /** Also commit an epoch checkpoint at the end of every epoch (true), or of every N-th epoch ({ every: N }). Default false. */
  readonly epochCheckpoints?: boolean | { readonly every: number };
  /** How many checkpoints of each kind to keep (the checkpoint store's retention policy). */
  readonly keep?: RetentionPolicy;
  /** What "best" ranks by (default val_loss, lower is better). */
  readonly bestMetric?: BestMetric;
  /** The preview grid on resume and the sample grids saved with checkpoints; false: none. */
  readonly preview?: PreviewOptions | false;
  /** Your own settings, recorded in every checkpoint and compared on resume (changes are shown, not refused). */
  readonly config?: JsonObject;
  /** Resume even when the model, batch size, data or seed changed since the checkpoint (default false). */
  readonly allowConfigChange?: boolean;
  /** Clip gradients to this global L2 norm (off by default). */
  readonly clipGradNorm?: number;
  /** onnxruntime threads (default 2). */
  readonly threads?: number;
  /** "auto" (default): the notebook display in a tslab kernel, else the terminal. Or your own RunOutput. */
  readonly output?: OutputKind | RunOutput;
  /** Title of the live display (default: the directory's name). */
  readonly name?: string;
  /** The command line that continues this run, recorded for `nbresume resume-command` (the demo passes its argv). */
  readonly command?: readonly string[];
  /**
   * The command's flag for each option it sets, e.g. { resumeFrom: "--resume-from", steps: "--steps",
   * allowConfigChange: "--allow-config-change" }: `nbresume resume-command --ref/--set` edits the
   * recorded command with them.
   */
  readonly commandFlags?: Readonly<Record<string, string>>;
  /** How checkpoints are written (the checkpoint store's options); not recorded in the config. */
  readonly checkpointStore?: RunStoreOptions;
  /**
   * Which checkpoint a run starts from (default "auto": the newest that verifies and passes the
   * preview's validation). "latest", "best", "best-previous", "step:N", a checkpoint directory, or
   * "none" (start from scratch). Resuming an older checkpoint than the newest moves the newer ones
   * aside into `DIR/rolled-back-<time>/` (never deleted) and continues from there. Rerunning the
   * same cell (same resumeFrom, same config) continues what it started instead of going back again.
   */
  readonly resumeFrom?: ResumeFrom;
  /** What a resume restores besides the weights (each default true); weights only: `{ optimizer: false, schedule: false }`. */
  readonly load?: LoadParts;
  /**
   * Initial weights for a run that starts from scratch: a .safetensors file, a checkpoint
   * directory, or an .onnx file, matched to the model's parameters by name. `{ path, strict: false }`
   * loads what matches and lists what did not; strict (default) refuses any mismatch.
   */
  readonly initFrom?: string | InitFrom;
  /**
   * When the directory already holds checkpoints: "resume" (default); "fresh": move them aside into
   * `DIR/rolled-back-<time>/` and start over; "ask": ask (y/n in a terminal; a notebook cell shows the
   * choice and stops); "error": refuse checkpoints of another run (a config that differs in more
   * than steps and saving). A rerun of the same cell with the same config continues what it started.
   */
  readonly onExisting?: "resume" | "fresh" | "ask" | "error";
  /** Stop when a validation metric stops improving; its counter and best value live in the checkpoint. */
  readonly earlyStopping?: EarlyStoppingOptions;
  /**
   * A step whose loss or gradient norm is NaN or infinite: "stop" (default; nothing non-finite is
   * applied or saved), "skip-step" (that batch is skipped; 20 in a row stop the run), or "rollback"
   * (back to the newest checkpoint, past the batch that diverged; 3 in a row stop the run).
   */
  readonly onNonFinite?: "stop" | "skip-step" | "rollback";
  /**
   * The resume preview as a validation gate: every sample finite, not degenerate (constant or
   * identical samples), and `metric` within its bound on held-out data when given. A checkpoint
   * that fails: "fallback" (default: shown, said why, the previous one that passes is used), "warn",
   * "stop" — or false to draw the preview without checking it.
   */
  readonly validate?: ValidateAction | false | { readonly action?: ValidateAction; readonly metric?: MetricBound };
  /** Keep an exponential moving average of the weights (standard for diffusion): saved as the checkpoint's "ema" group, used by previews and export. */
  readonly ema?: { readonly decay: number };
  /** Milliseconds for time-based saves (default performance.now); tests inject one. */
  readonly clock?: () => number;
}

export type ResumeFrom = "auto" | "latest" | "best" | "best-previous" | "none" | `step:${number}` | (string & {});

export interface CheckpointEvery {
  readonly steps?: number;
  readonly minutes?: number;
}

export interface LoadParts {
  /** Optimizer state (Adam's moments). False: starts fresh, as at step 0. */
  readonly optimizer?: boolean;
  /** The step count, and with it the learning-rate schedule. False: training restarts at step 0 from the loaded weights (a new run: the old checkpoints are moved aside). */
  readonly schedule?: boolean;
  /** The training generator (dropout masks, noise). False: as a fresh run with this seed draws it. */
  readonly rng?: boolean;
  /** The data order and position. False: from the start of epoch 0. */
  readonly data?: boolean;
}

export interface InitFrom {
  readonly path: string;
  /** Default true: every parameter must be found with its shape, and every tensor used. */
  readonly strict?: boolean;
}

export interface EarlyStoppingOptions {
  /** A validation metric (default: bestMetric's name, val_loss). */
  readonly metric?: string;
  readonly mode?: "min" | "max";
  /** Evaluations without improvement before the run stops. */
  readonly patience: number;
  /** How much better counts as better (default 0). */
  readonly minDelta?: number;
}

export type ValidateAction = "fallback" | "warn" | "stop";

/** A validation metric's bound: the checkpoint passes when `min ≤ value ≤ max`. */
export interface MetricBound {
  readonly name: string;
  readonly min?: number;
  readonly max?: number;
}

/**
 * The checkpoint store's settings a run passes on. Rolling, epoch and best checkpoints are saved
 * in the background (the store snapshots the state and training goes on while it is written);
 * final and emergency checkpoints synchronously. `mirror: "s3://bucket/prefix"` keeps a second copy
 * of a local run's checkpoints in a bucket; `s3` sets the endpoint, region, credentials… of s3://
 * locations (a `dir` or a mirror) beside what the AWS_* environment and profiles say. A run in a
 * bucket writes its pictures and record (metrics.jsonl, loss.png, summary.json) there; a mirror gets
 * the pictures, metrics.jsonl, loss.png and summary.json.
 */
export type RunStoreOptions = Pick<CheckpointStoreOptions, "backgroundWriter" | "maxFailedSaves" | "diskMargin" | "fs" | "mirror" | "s3">;

export interface CheckpointRecord {
  readonly name: string;
  readonly path: string;
  readonly kind: CheckpointKind;
  readonly step: number;
}

/**
 * finished: trained to `steps`, final checkpoint committed · finished-unsaved: trained to `steps` but
 * the final checkpoint could not be saved · interrupted: stopped between steps, emergency checkpoint
 * saved · already-finished: the newest checkpoint was already at `steps` · read-only: the directory
 * cannot be written, the newest checkpoint was only loaded and previewed · stopped-early: early
 * stopping ended the run (a final checkpoint of that step) · diverged: a non-finite loss or
 * gradient stopped the run (nothing non-finite was applied or saved).
 */
export type TrainStatus = "finished" | "finished-unsaved" | "interrupted" | "already-finished" | "read-only" | "stopped-early" | "diverged";

/** Why a run stopped early: a signal, a newer run of the same dir, or the caller's AbortSignal. */
export type RunStopReason = StopReason | "aborted";

export interface TrainOptions {
  /** Stops the run between steps like an interrupt (emergency checkpoint, then train() returns). */
  readonly signal?: AbortSignal;
}

/** When each phase of train() ended, in ms since train() was called (undefined: it did not happen). */
export interface TrainTimings {
  /** Store opened (writer lock) and the newest checkpoint that verifies loaded (one read, every byte hashed). */
  readonly resolved: number;
  /** Whether the session compiled by the previous run in this process was reused (a rerun in a live kernel). */
  readonly reusedSession: boolean;
  /** The training session compiled (or taken from the previous run). */
  readonly compiled: number;
  /** The loaded checkpoint's state checked and its config compared with this run's. */
  readonly loaded: number | undefined;
  /** Preview rendered, shown and saved. */
  readonly previewed: number | undefined;
  /** Whether the preview was drawn on the sampler thread (while the session compiled), rather than on the training thread. */
  readonly previewOffThread: boolean | undefined;
  /** The sampler thread loaded and ready (it starts with train() when it draws the resume preview, else before the first step). */
  readonly samplerReady: number | undefined;
  /** Everything restored, the loop about to take its first step: the rerun-to-resume latency. */
  readonly training: number | undefined;
  /** The first step of this train() done. */
  readonly firstStep: number | undefined;
}

/** How this train()'s checkpoints were saved. */
export interface SaveStats {
  /** Rolling, epoch and best checkpoints committed in the background while training went on. */
  readonly background: number;
  /** Final and emergency checkpoints, committed before train() went on. */
  readonly synchronous: number;
  /** Saves that failed (each one shown as a warning). */
  readonly failed: number;
  /**
   * Milliseconds the loop spent in background-save calls: waiting for the save before (if still
   * in flight) and copying the state. The sample grid beside each checkpoint is not included.
   */
  readonly backgroundCallMs: number;
}

/** Where this train()'s sample grids (previews included) were drawn, and those that were not. */
export interface GridStats {
  /** On the sampler thread, while training went on (or the training graph compiled). */
  readonly offThread: number;
  /** On the training thread (grids the run waited for anyway, classifier predictions, sampler "main"). */
  readonly onTrainingThread: number;
  /** Not drawn: a newer checkpoint's grid replaced it while the sampler thread was busy. */
  readonly skipped: number;
  /** Dropped unfinished when the run stopped early (interrupt, error), so it stopped at once. */
  readonly dropped: number;
}

export interface TrainResult {
  readonly status: TrainStatus;
  /** Completed steps when train() returned. */
  readonly step: number;
  /** The step this train() started from (0 or the resumed checkpoint's). */
  readonly startStep: number;
  readonly steps: number;
  /** The checkpoint this train() resumed from, if any. */
  readonly resumedFrom: CheckpointRecord | undefined;
  /** The newest checkpoint committed (or resumed from) when train() returned. */
  readonly checkpoint: CheckpointRecord | undefined;
  /** Smoothed training loss at the end. */
  readonly loss: number | undefined;
  /** The last validation metrics (val_loss, val_accuracy, …). */
  readonly validation: Readonly<Record<string, number>> | undefined;
  /** Why it stopped early (status "interrupted"). */
  readonly stopReason: RunStopReason | undefined;
  /** Why training ended, in a sentence ("trained to step 3,000", "val_loss did not improve for 5 evaluations", …). */
  readonly stoppedBecause: string;
  /** The preview picture written on resume, and the newest sample grid, if any. */
  readonly previewFile: string | undefined;
  readonly samplesFile: string | undefined;
  readonly timings: TrainTimings;
  readonly saves: SaveStats;
  readonly grids: GridStats;
}

export interface Run {
  /** The run's directory, absolute (or its s3:// URL). */
  readonly dir: string;
  /** The configuration recorded in checkpoints and compared on resume. */
  readonly config: JsonObject;
  /**
   * Resolve → verify + preview → resume → loop → save; stops cleanly on SIGINT/SIGTERM with an
   * emergency checkpoint. Run it again (same options) to resume. Rejects with RUN_SAVE_FAILING
   * (after the same clean stop) when checkpoint saves keep failing.
   */
  train(options?: TrainOptions): Promise<TrainResult>;
}
