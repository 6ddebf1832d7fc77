/**
 * resumable()'s options, checked at the API boundary (TypeError for a wrong type, RangeError for
 * a wrong value, each naming the option) and completed with defaults; last, the model is fed from
 * its data once (model-data-check.ts), so a column it cannot take is said before anything is shown.
 */
import * as path from "node:path";
import { resolveRetentionPolicy } from "../checkpoint/retention.js";
import { baseName, isUrlLocation, normalizeLocation } from "../checkpoint/storage/location.js";
import type { BestMetric, RetentionPolicy } from "../checkpoint/store.js";
import type { Batch } from "../engine/data/batch.js";
import type { Dataset } from "../engine/data/dataset.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { Model } from "../engine/nn/model.js";
import type { Optimizer } from "../engine/optim/optimizer.js";
import type { Schedule } from "../engine/optim/schedule.js";
import type { Seed } from "../engine/random/generator.js";
import { runMessages as msg } from "./messages.js";
import { checkModelData } from "./model-data-check.js";
import type { EarlyStoppingOptions, InitFrom, LoadParts, MetricBound, OutputKind, ResumableOptions, RunStoreOptions, ValidateAction } from "./run.js";
import type { RunOutput } from "./run-output.js";

export interface ResolvedOptions {
  readonly dir: string;
  readonly model: Model<Batch>;
  readonly train: Dataset;
  readonly test: Dataset | undefined;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule;
  readonly steps: number;
  readonly batchSize: number;
  readonly seed: Seed;
  /** A rolling checkpoint every this many steps (undefined: by time only). */
  readonly checkpointEvery: number | undefined;
  /** …and/or every this many minutes of training. */
  readonly checkpointMinutes: number | undefined;
  readonly evalEvery: number | undefined;
  readonly evalBatches: number;
  /** An epoch checkpoint at the end of every N-th epoch; undefined: none. */
  readonly epochEvery: number | undefined;
  readonly keep: RetentionPolicy | undefined;
  readonly bestMetric: BestMetric;
  /** undefined: no preview. The settings given override the model's previews' own (undefined: theirs). */
  readonly preview:
    { readonly samples?: number; readonly samplerSteps?: number; readonly eta?: number; readonly sampler: "auto" | "thread" | "main" } | undefined;
  readonly userConfig: JsonObject | undefined;
  readonly allowConfigChange: boolean;
  readonly clipGradNorm: number | undefined;
  readonly threads: number | undefined;
  readonly output: OutputKind | RunOutput;
  readonly name: string;
  readonly command: readonly string[] | undefined;
  readonly checkpointStore: RunStoreOptions;
  readonly commandFlags: Readonly<Record<string, string>> | undefined;
  readonly resumeFrom: string;
  readonly load: Required<LoadParts>;
  readonly initFrom: Required<InitFrom> | undefined;
  readonly onExisting: "resume" | "fresh" | "ask" | "error";
  readonly earlyStopping: Required<EarlyStoppingOptions> | undefined;
  readonly onNonFinite: "stop" | "skip-step" | "rollback";
  readonly validate: { readonly action: ValidateAction | "off"; readonly metric: MetricBound | undefined };
  readonly ema: { readonly decay: number } | undefined;
  readonly clock: () => number;
}

const OUTPUT_KINDS: readonly OutputKind[] = ["auto", "notebook", "terminal", "silent"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(msg.badOption(name, "a positive integer", value));
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(msg.badOption(name, "a positive integer", value));
  return value;
}

function optionalPositiveInteger(name: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : positiveInteger(name, value);
}

function checkDataset(name: string, value: unknown): Dataset {
  const d = value as Partial<Dataset> | undefined;
  if (!isObject(d) || typeof d.name !== "string" || !isObject(d.columns) || typeof d.count !== "number" || !isObject(d.info)) {
    throw new TypeError(msg.badOption(name, "a Dataset ({ name, count, columns, info }), e.g. (await mnist()).train or await fromCsv(…)", value));
  }
  return d as Dataset;
}

function isOutput(value: unknown): value is RunOutput {
  return isObject(value) && typeof value.info === "function" && typeof value.progress === "function";
}

export function resolveOptions(options: ResumableOptions): ResolvedOptions {
  if (!isObject(options)) throw new TypeError(msg.badOption("options", "an object like { dir, model, data, optimizer, schedule, steps, batchSize }", options));
  const o = options as unknown as Record<string, unknown>;

  if (typeof o.dir !== "string" || o.dir.length === 0) {
    throw new TypeError(
      o.dir === undefined ? msg.missingOption("dir", 'dir: "runs/mnist"') : msg.badOption("dir", 'a non-empty path, or "s3://bucket/prefix"', o.dir),
    );
  }
  if (isUrlLocation(o.dir) && !/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?/.test(o.dir))
    throw new TypeError(msg.badOption("dir", 'a non-empty path, or "s3://bucket/prefix"', o.dir));
  const model = o.model as Model<Batch> | undefined;
  if (!isObject(model) || !isObject(model.config) || typeof model.loss !== "function" || typeof model.feeds !== "function") {
    throw new TypeError(
      model === undefined
        ? msg.missingOption("model", 'model: ddpm({ unet: "tiny" })')
        : msg.badOption("model", "a Model such as ddpm({ … }) or mlpClassifier({ … })", model),
    );
  }
  if (!isObject(o.data))
    throw new TypeError(
      o.data === undefined ? msg.missingOption("data", "data: await mnist()") : msg.badOption("data", "{ train, test? } or { train, validation? }", o.data),
    );
  const train = checkDataset("data.train", o.data.train);
  if (o.data.test !== undefined && o.data.validation !== undefined)
    throw new TypeError(msg.badOption("data", "{ train, test? } or { train, validation? } (one held-out set)", "both test and validation"));
  const heldOut = o.data.test ?? o.data.validation;
  const test = heldOut === undefined ? undefined : checkDataset(o.data.test !== undefined ? "data.test" : "data.validation", heldOut);
  const optimizer = o.optimizer as Optimizer | undefined;
  if (!isObject(optimizer) || typeof optimizer.update !== "function" || !Array.isArray(optimizer.slots)) {
    throw new TypeError(
      optimizer === undefined ? msg.missingOption("optimizer", "optimizer: adamw()") : msg.badOption("optimizer", "an Optimizer such as adamw()", optimizer),
    );
  }
  const schedule = o.schedule as Schedule | undefined;
  if (!isObject(schedule) || typeof schedule.lr !== "function") {
    throw new TypeError(
      schedule === undefined
        ? msg.missingOption("schedule", "schedule: constantLr(1e-3)")
        : msg.badOption("schedule", "a Schedule such as constantLr(1e-3)", schedule),
    );
  }
  if (o.steps === undefined) throw new TypeError(msg.missingOption("steps", "steps: 2000"));
  const steps = positiveInteger("steps", o.steps);
  if (o.batchSize === undefined) throw new TypeError(msg.missingOption("batchSize", "batchSize: 64"));
  const batchSize = positiveInteger("batchSize", o.batchSize);
  if (batchSize > train.count) throw new RangeError(msg.batchTooLarge(batchSize, train.count, train.name));

  const seed = o.seed ?? 0;
  if (!(typeof seed === "string" || (typeof seed === "number" && Number.isSafeInteger(seed)))) {
    throw new TypeError(msg.badOption("seed", "an integer or a string", seed));
  }
  const defaultEvery = Math.max(1, Math.min(500, Math.ceil(steps / 20)));
  let checkpointEvery: number | undefined;
  let checkpointMinutes: number | undefined;
  if (isObject(o.checkpointEvery)) {
    const { steps: everySteps, minutes } = o.checkpointEvery;
    if (everySteps === undefined && minutes === undefined)
      throw new TypeError(msg.badOption("checkpointEvery", "a positive integer or { steps?, minutes? } with at least one", o.checkpointEvery));
    checkpointEvery = everySteps === undefined ? undefined : positiveInteger("checkpointEvery.steps", everySteps);
    if (minutes !== undefined) {
      if (typeof minutes !== "number") throw new TypeError(msg.badOption("checkpointEvery.minutes", "a number of minutes > 0", minutes));
      if (!(minutes > 0) || !Number.isFinite(minutes)) throw new RangeError(msg.badOption("checkpointEvery.minutes", "a number of minutes > 0", minutes));
      checkpointMinutes = minutes;
    }
  } else {
    checkpointEvery = optionalPositiveInteger("checkpointEvery", o.checkpointEvery, defaultEvery);
  }

  let evalEvery: number | undefined;
  if (o.evalEvery === false) evalEvery = undefined;
  else if (o.evalEvery === undefined) evalEvery = test !== undefined && test.count >= batchSize ? (checkpointEvery ?? defaultEvery) : undefined;
  else evalEvery = positiveInteger("evalEvery", o.evalEvery);
  if (evalEvery !== undefined && (test === undefined || test.count < batchSize)) throw new RangeError(msg.evalNeedsTestData(batchSize, test?.count));
  const evalBatches = optionalPositiveInteger("evalBatches", o.evalBatches, 4);

  let epochEvery: number | undefined;
  if (isObject(o.epochCheckpoints)) epochEvery = positiveInteger("epochCheckpoints.every", o.epochCheckpoints.every);
  else if (o.epochCheckpoints !== undefined && typeof o.epochCheckpoints !== "boolean")
    throw new TypeError(msg.badOption("epochCheckpoints", "true, false or { every: N }", o.epochCheckpoints));
  else if (o.epochCheckpoints === true) epochEvery = 1;
  if (o.keep !== undefined && !isObject(o.keep)) throw new TypeError(msg.badOption("keep", "{ rolling?, emergency?, best?, epoch? }", o.keep));
  resolveRetentionPolicy(o.keep); // the store's own check, now rather than at train()
  let bestMetric: BestMetric = { name: "val_loss", mode: "min" };
  if (o.bestMetric !== undefined) {
    const b = o.bestMetric as Partial<BestMetric>;
    if (!isObject(b) || typeof b.name !== "string" || b.name === "" || (b.mode !== "min" && b.mode !== "max")) {
      throw new TypeError(msg.badOption("bestMetric", '{ name: string, mode: "min" | "max" }', o.bestMetric));
    }
    bestMetric = { name: b.name, mode: b.mode };
  }

  let preview: ResolvedOptions["preview"];
  if (o.preview === false) preview = undefined;
  else if (o.preview === undefined) preview = { sampler: "auto" };
  else if (!isObject(o.preview)) throw new TypeError(msg.badOption("preview", "{ samples?, samplerSteps?, eta?, sampler? } or false", o.preview));
  else {
    const samples = o.preview.samples === undefined ? undefined : positiveInteger("preview.samples", o.preview.samples);
    if (samples !== undefined && samples > 256) throw new RangeError(msg.badOption("preview.samples", "an integer from 1 to 256", samples));
    const eta = o.preview.eta;
    if (eta !== undefined && (typeof eta !== "number" || !(eta >= 0 && eta <= 1)))
      throw new RangeError(msg.badOption("preview.eta", "a number from 0 to 1", eta));
    const sampler = o.preview.sampler ?? "auto";
    if (sampler !== "auto" && sampler !== "thread" && sampler !== "main")
      throw new TypeError(msg.badOption("preview.sampler", '"auto", "thread" or "main"', sampler));
    const samplerSteps = o.preview.samplerSteps === undefined ? undefined : positiveInteger("preview.samplerSteps", o.preview.samplerSteps);
    preview = {
      ...(samples === undefined ? {} : { samples }),
      ...(samplerSteps === undefined ? {} : { samplerSteps }),
      ...(eta === undefined ? {} : { eta }),
      sampler,
    };
  }

  if (o.config !== undefined && !isObject(o.config)) throw new TypeError(msg.badOption("config", "a plain object of JSON values", o.config));
  if (o.config !== undefined) {
    try {
      JSON.stringify(o.config);
    } catch {
      throw new TypeError(msg.badOption("config", "a plain object of JSON values", "(not JSON-serialisable)"));
    }
  }
  if (o.allowConfigChange !== undefined && typeof o.allowConfigChange !== "boolean")
    throw new TypeError(msg.badOption("allowConfigChange", "true or false", o.allowConfigChange));
  let clipGradNorm: number | undefined;
  if (o.clipGradNorm !== undefined) {
    if (typeof o.clipGradNorm !== "number") throw new TypeError(msg.badOption("clipGradNorm", "a number > 0", o.clipGradNorm));
    if (!(o.clipGradNorm > 0) || !Number.isFinite(o.clipGradNorm)) throw new RangeError(msg.badOption("clipGradNorm", "a number > 0", o.clipGradNorm));
    clipGradNorm = o.clipGradNorm;
  }
  const threads = o.threads === undefined ? undefined : positiveInteger("threads", o.threads);
  const output = o.output ?? "auto";
  if (!(typeof output === "string" && (OUTPUT_KINDS as readonly string[]).includes(output)) && !isOutput(output)) {
    throw new TypeError(msg.badOption("output", `one of ${OUTPUT_KINDS.map((k) => `"${k}"`).join(", ")} or a RunOutput`, output));
  }
  if (o.name !== undefined && typeof o.name !== "string") throw new TypeError(msg.badOption("name", "a string", o.name));
  if (o.command !== undefined && !(Array.isArray(o.command) && o.command.every((a) => typeof a === "string"))) {
    throw new TypeError(msg.badOption("command", "an array of strings (argv)", o.command));
  }
  if (o.commandFlags !== undefined && !(isObject(o.commandFlags) && Object.values(o.commandFlags).every((f) => typeof f === "string"))) {
    throw new TypeError(msg.badOption("commandFlags", '{ option: "--flag" } (strings)', o.commandFlags));
  }
  const checkpointStore = checkStoreOptions(o.checkpointStore);
  // A directory is made absolute; an object-storage URL (s3://bucket/prefix) is kept as given.
  const dir = normalizeLocation(o.dir);
  const control = resolveControl(o, bestMetric, test !== undefined && evalEvery !== undefined);
  // The held-out set only when the run feeds it to the model (evaluation).
  checkModelData(model, train, evalEvery === undefined ? undefined : test, batchSize);
  return {
    dir,
    model,
    train,
    test,
    optimizer,
    schedule,
    steps,
    batchSize,
    seed,
    checkpointEvery,
    evalEvery,
    evalBatches,
    checkpointMinutes,
    epochEvery,
    keep: o.keep,
    bestMetric,
    preview,
    userConfig: o.config as JsonObject | undefined,
    allowConfigChange: o.allowConfigChange === true,
    clipGradNorm,
    threads,
    output: output as OutputKind | RunOutput,
    name: o.name ?? baseName(dir),
    command: o.command,
    checkpointStore,
    commandFlags: o.commandFlags as Readonly<Record<string, string>> | undefined,
    ...control,
  };
}

function checkStoreOptions(value: unknown): RunStoreOptions {
  if (value === undefined) return {};
  const rule = '{ backgroundWriter?: "worker" | "inline", maxFailedSaves?, diskMargin?, fs?, mirror?: "s3://bucket/prefix", s3?: S3Options }';
  if (!isObject(value)) throw new TypeError(msg.badOption("checkpointStore", rule, value));
  const { backgroundWriter, maxFailedSaves, diskMargin, fs, mirror, s3 } = value;
  // Endpoint, region, credentials… of s3:// locations: the storage checks each setting when it opens.
  if (s3 !== undefined && !isObject(s3))
    throw new TypeError(msg.badOption("checkpointStore.s3", "S3Options ({ endpoint?, region?, credentials?, forcePathStyle?, … })", s3));
  // A second copy of the checkpoints in a bucket; the store checks the URL itself when it opens.
  if (mirror !== undefined && (typeof mirror !== "string" || !/^[a-z][a-z0-9+.-]*:\/\/./.test(mirror))) {
    throw new TypeError(msg.badOption("checkpointStore.mirror", 'an object-storage URL such as "s3://bucket/runs/mnist"', mirror));
  }
  if (backgroundWriter !== undefined && backgroundWriter !== "worker" && backgroundWriter !== "inline") {
    throw new TypeError(msg.badOption("checkpointStore.backgroundWriter", '"worker" or "inline"', backgroundWriter));
  }
  if (maxFailedSaves !== undefined) positiveInteger("checkpointStore.maxFailedSaves", maxFailedSaves);
  if (diskMargin !== undefined && (typeof diskMargin !== "number" || !Number.isSafeInteger(diskMargin) || diskMargin < 0)) {
    throw new RangeError(msg.badOption("checkpointStore.diskMargin", "an integer ≥ 0 (bytes)", diskMargin));
  }
  if (fs !== undefined && !isObject(fs)) throw new TypeError(msg.badOption("checkpointStore.fs", "a DurableFs", fs));
  return value;
}

const RESUME_WORDS = ["auto", "latest", "best", "best-previous", "none"];
const ON_EXISTING = ["resume", "fresh", "ask", "error"] as const;
const ON_NON_FINITE = ["stop", "skip-step", "rollback"] as const;
const VALIDATE_ACTIONS: readonly ValidateAction[] = ["fallback", "warn", "stop"];

function finiteNumber(name: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(msg.badOption(name, "a finite number", value));
  if (!Number.isFinite(value)) throw new RangeError(msg.badOption(name, "a finite number", value));
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
    throw new TypeError(msg.badOption(name, allowed.map((a) => `"${a}"`).join(", "), value));
  return value as T;
}

/** The options that control where a run starts, what it restores, and when it stops. */
function resolveControl(
  o: Record<string, unknown>,
  bestMetric: BestMetric,
  evaluates: boolean,
): Pick<ResolvedOptions, "resumeFrom" | "load" | "initFrom" | "onExisting" | "earlyStopping" | "onNonFinite" | "validate" | "ema" | "clock"> {
  const resumeFrom = o.resumeFrom ?? "auto";
  if (typeof resumeFrom !== "string" || resumeFrom === "")
    throw new TypeError(msg.badOption("resumeFrom", '"auto", "latest", "best", "best-previous", "step:N", a checkpoint directory or "none"', resumeFrom));
  if (resumeFrom.startsWith("step:") && !/^step:\d+$/.test(resumeFrom))
    throw new RangeError(msg.badOption("resumeFrom", '"step:N" with N a step number', resumeFrom));
  if (!RESUME_WORDS.includes(resumeFrom) && !resumeFrom.startsWith("step:") && !/[/\\]|^ckpt-step-/.test(resumeFrom)) {
    throw new RangeError(
      msg.badOption("resumeFrom", '"auto", "latest", "best", "best-previous", "step:N", a checkpoint directory (a path) or "none"', resumeFrom),
    );
  }

  const load: Required<LoadParts> = { optimizer: true, schedule: true, rng: true, data: true };
  if (o.load !== undefined) {
    if (!isObject(o.load)) throw new TypeError(msg.badOption("load", "{ optimizer?, schedule?, rng?, data? } (booleans)", o.load));
    for (const [key, value] of Object.entries(o.load)) {
      if (!(key in load)) throw new TypeError(msg.badOption("load", "{ optimizer?, schedule?, rng?, data? } (booleans)", o.load));
      if (typeof value !== "boolean") throw new TypeError(msg.badOption(`load.${key}`, "true or false", value));
      (load as Record<string, boolean>)[key] = value;
    }
  }

  let initFrom: Required<InitFrom> | undefined;
  const initPath = typeof o.initFrom === "string" ? o.initFrom : isObject(o.initFrom) && typeof o.initFrom.path === "string" ? o.initFrom.path : undefined;
  if (initPath !== undefined && isUrlLocation(initPath)) throw new TypeError(msg.initFromUrl(initPath));
  if (typeof o.initFrom === "string" && o.initFrom !== "") initFrom = { path: path.resolve(o.initFrom), strict: true };
  else if (
    isObject(o.initFrom) &&
    typeof o.initFrom.path === "string" &&
    o.initFrom.path !== "" &&
    (o.initFrom.strict === undefined || typeof o.initFrom.strict === "boolean")
  ) {
    initFrom = { path: path.resolve(o.initFrom.path), strict: o.initFrom.strict !== false };
  } else if (o.initFrom !== undefined) {
    throw new TypeError(msg.badOption("initFrom", "a .safetensors file, a checkpoint directory or an .onnx file, or { path, strict?: boolean }", o.initFrom));
  }

  const onExisting = oneOf("onExisting", o.onExisting, ON_EXISTING, "resume");
  const onNonFinite = oneOf("onNonFinite", o.onNonFinite, ON_NON_FINITE, "stop");

  let earlyStopping: Required<EarlyStoppingOptions> | undefined;
  if (o.earlyStopping !== undefined) {
    const e = o.earlyStopping;
    const rule = "{ patience, metric?, mode?, minDelta? }";
    if (!isObject(e)) throw new TypeError(msg.badOption("earlyStopping", rule, e));
    if (e.metric !== undefined && (typeof e.metric !== "string" || e.metric === ""))
      throw new TypeError(msg.badOption("earlyStopping.metric", 'a metric name such as "val_loss"', e.metric));
    const metric = e.metric ?? bestMetric.name;
    const mode = oneOf("earlyStopping.mode", e.mode, ["min", "max"] as const, metric === bestMetric.name ? bestMetric.mode : "min");
    const patience = positiveInteger("earlyStopping.patience", e.patience);
    const minDelta = e.minDelta === undefined ? 0 : finiteNumber("earlyStopping.minDelta", e.minDelta);
    if (minDelta < 0) throw new RangeError(msg.badOption("earlyStopping.minDelta", "a number ≥ 0", minDelta));
    if (!evaluates) throw new RangeError(msg.earlyStoppingNeedsEvaluation());
    earlyStopping = { metric, mode, patience, minDelta };
  }

  let validate: ResolvedOptions["validate"] = { action: "fallback", metric: undefined };
  if (o.validate === false) validate = { action: "off", metric: undefined };
  else if (typeof o.validate === "string") validate = { action: oneOf("validate", o.validate, VALIDATE_ACTIONS, "fallback"), metric: undefined };
  else if (isObject(o.validate)) {
    const action = oneOf("validate.action", o.validate.action, VALIDATE_ACTIONS, "fallback");
    let metric: MetricBound | undefined;
    const m = o.validate.metric;
    if (m !== undefined) {
      if (!isObject(m) || typeof m.name !== "string" || m.name === "" || (m.min === undefined && m.max === undefined)) {
        throw new TypeError(msg.badOption("validate.metric", "{ name, min?, max? } with a bound", m));
      }
      if (!evaluates) throw new RangeError(msg.validateMetricNeedsData());
      metric = {
        name: m.name,
        ...(m.min === undefined ? {} : { min: finiteNumber("validate.metric.min", m.min) }),
        ...(m.max === undefined ? {} : { max: finiteNumber("validate.metric.max", m.max) }),
      };
    }
    validate = { action, metric };
  } else if (o.validate !== undefined) {
    throw new TypeError(msg.badOption("validate", '"fallback", "warn", "stop", false or { action?, metric? }', o.validate));
  }

  let ema: ResolvedOptions["ema"];
  if (o.ema !== undefined) {
    if (!isObject(o.ema) || typeof o.ema.decay !== "number")
      throw new TypeError(msg.badOption("ema", "{ decay } with 0 < decay < 1, e.g. { decay: 0.999 }", o.ema));
    if (!(o.ema.decay > 0 && o.ema.decay < 1))
      throw new RangeError(msg.badOption("ema.decay", "a number between 0 and 1 (exclusive), e.g. 0.999", o.ema.decay));
    ema = { decay: o.ema.decay };
  }
  if (o.clock !== undefined && typeof o.clock !== "function") throw new TypeError(msg.badOption("clock", "a function returning milliseconds", o.clock));
  const clock = (o.clock as (() => number) | undefined) ?? (() => performance.now());
  return { resumeFrom, load, initFrom, onExisting, earlyStopping, onNonFinite, validate, ema, clock };
}
