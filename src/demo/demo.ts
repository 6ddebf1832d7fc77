/**
 * The MNIST diffusion demo, headless:
 *
 *   npm run demo -- --dir DIR --steps N [--preset tiny|small] [--checkpoint-every K]
 *
 * The same resumable() run a notebook cell uses, with terminal output: a one-line progress bar,
 * sample grids written as PNG files into DIR. Rerunning the command on the same DIR resumes.
 * Exit status: 0 when training finished (or had already), 130/143/129 after SIGINT/SIGTERM/SIGHUP
 * (the process dies of the signal once the emergency checkpoint is committed; a second signal
 * meanwhile only says "saving, press again to abort", a third aborts), 1 on a run error (a run
 * that diverged included), 2 on a bad argument (only the command line and the options it makes:
 * an error inside the run is never "a bad argument", whatever its class) and when --on-existing
 * ask has no terminal to ask in. The control flags (--resume-from, --load, --init-from,
 * --on-existing, --patience, --ema, …) are resumable()'s options of the same names.
 */
import { parseArgs } from "node:util";
import { isNbresumeError } from "../errors.js";
import { RunErrorCode } from "../run/messages.js";
import type { LoadParts, ResumableOptions } from "../run/run.js";
import { loadMnist } from "../engine/data/mnist.js";
import { ddpm } from "../engine/diffusion/ddpm-model.js";
import { isUNetPreset } from "../engine/models/unet.js";
import { adamw } from "../engine/optim/adamw.js";
import { linearWarmup } from "../engine/optim/schedules.js";
import { resumable } from "../run/resumable.js";
import { demoMessages as msg } from "./messages.js";
import { DEFAULT_DEMO_DIR, DEMO_PRESETS } from "./presets.js";

class UsageError extends Error {}

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(msg.badNumber(flag, value));
  return n;
}

export interface DemoArgs {
  readonly dir: string;
  readonly preset: "tiny" | "small";
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly batchSize: number;
  readonly evalEvery: number;
  readonly samplerSteps: number;
  readonly seed: number;
  readonly lr: number | undefined;
  readonly resumeFrom: string | undefined;
  readonly load: LoadParts | undefined;
  readonly initFrom: string | undefined;
  readonly initPartial: boolean;
  readonly onExisting: "resume" | "fresh" | "ask" | "error" | undefined;
  readonly checkpointMinutes: number | undefined;
  readonly epochCheckpoints: number | undefined;
  readonly ema: number | undefined;
  readonly patience: number | undefined;
  readonly onNonFinite: "stop" | "skip-step" | "rollback" | undefined;
  readonly validate: "fallback" | "warn" | "stop" | "off" | undefined;
  readonly allowConfigChange: boolean;
}

function choice<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(msg.badChoice(flag, value, choices));
  return value as T;
}

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(msg.badPositive(flag, value));
  return n;
}

const LOAD_PARTS = ["optimizer", "schedule", "rng", "data"] as const;

/** --load all | weights | optimizer,rng,… → the parts a resume restores. */
function loadParts(value: string | undefined): LoadParts | undefined {
  if (value === undefined || value === "all") return undefined;
  const named = value === "weights" ? [] : value.split(",").map((p) => p.trim());
  if (!named.every((p) => (LOAD_PARTS as readonly string[]).includes(p))) throw new UsageError(msg.badLoad(value));
  return Object.fromEntries(LOAD_PARTS.map((p) => [p, named.includes(p)]));
}

export function parseDemoArgs(argv: readonly string[]): DemoArgs | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        dir: { type: "string" },
        steps: { type: "string" },
        preset: { type: "string" },
        "checkpoint-every": { type: "string" },
        "batch-size": { type: "string" },
        "eval-every": { type: "string" },
        "sampler-steps": { type: "string" },
        seed: { type: "string" },
        lr: { type: "string" },
        "resume-from": { type: "string" },
        load: { type: "string" },
        "init-from": { type: "string" },
        "init-partial": { type: "boolean" },
        "on-existing": { type: "string" },
        "checkpoint-minutes": { type: "string" },
        "epoch-checkpoints": { type: "string" },
        ema: { type: "string" },
        patience: { type: "string" },
        "on-non-finite": { type: "string" },
        validate: { type: "string" },
        "allow-config-change": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return "help";
  const presetName = values.preset ?? "tiny";
  if (!isUNetPreset(presetName)) throw new UsageError(msg.badPreset(presetName));
  const p = DEMO_PRESETS[presetName];
  const checkpointEvery = count("--checkpoint-every", values["checkpoint-every"]) ?? p.checkpointEvery;
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(msg.badNumber("--seed", values.seed ?? ""));
  return {
    dir: values.dir ?? DEFAULT_DEMO_DIR,
    preset: presetName,
    steps: count("--steps", values.steps) ?? p.steps,
    checkpointEvery,
    batchSize: count("--batch-size", values["batch-size"]) ?? p.batchSize,
    evalEvery: count("--eval-every", values["eval-every"]) ?? checkpointEvery,
    samplerSteps: count("--sampler-steps", values["sampler-steps"]) ?? 20,
    seed,
    lr: positiveNumber("--lr", values.lr),
    resumeFrom: values["resume-from"],
    load: loadParts(values.load),
    initFrom: values["init-from"],
    initPartial: values["init-partial"] === true,
    onExisting: choice("--on-existing", values["on-existing"], ["resume", "fresh", "ask", "error"] as const),
    checkpointMinutes: positiveNumber("--checkpoint-minutes", values["checkpoint-minutes"]),
    epochCheckpoints: count("--epoch-checkpoints", values["epoch-checkpoints"]),
    ema: ema(values.ema),
    patience: count("--patience", values.patience),
    onNonFinite: choice("--on-non-finite", values["on-non-finite"], ["stop", "skip-step", "rollback"] as const),
    validate: choice("--validate", values.validate, ["fallback", "warn", "stop", "off"] as const),
    allowConfigChange: values["allow-config-change"] === true,
  };
}

function ema(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !(n > 0 && n < 1)) throw new UsageError(msg.badFraction("--ema", value));
  return n;
}

/**
 * The argv that continues this run, recorded in every checkpoint for `nbresume resume-command`:
 * the settings the run trains with, not the ones that only decide where it starts (--resume-from,
 * --load, --init-from, --on-existing), so the command continues the run rather than branching again.
 */
function continueCommand(a: DemoArgs): string[] {
  return [
    "npm",
    "run",
    "demo",
    "--",
    "--dir",
    a.dir,
    "--steps",
    String(a.steps),
    "--preset",
    a.preset,
    "--checkpoint-every",
    String(a.checkpointEvery),
    "--batch-size",
    String(a.batchSize),
    "--eval-every",
    String(a.evalEvery),
    "--sampler-steps",
    String(a.samplerSteps),
    "--seed",
    String(a.seed),
    ...(a.lr === undefined ? [] : ["--lr", String(a.lr)]),
    ...(a.checkpointMinutes === undefined ? [] : ["--checkpoint-minutes", String(a.checkpointMinutes)]),
    ...(a.epochCheckpoints === undefined ? [] : ["--epoch-checkpoints", String(a.epochCheckpoints)]),
    ...(a.ema === undefined ? [] : ["--ema", String(a.ema)]),
    ...(a.patience === undefined ? [] : ["--patience", String(a.patience)]),
    ...(a.onNonFinite === undefined ? [] : ["--on-non-finite", a.onNonFinite]),
    ...(a.validate === undefined ? [] : ["--validate", a.validate]),
  ];
}

/** The flag of each option the demo's command takes (resume-command edits the recorded command with them). */
const COMMAND_FLAGS: Readonly<Record<string, string>> = {
  resumeFrom: "--resume-from",
  steps: "--steps",
  checkpointEvery: "--checkpoint-every",
  batchSize: "--batch-size",
  evalEvery: "--eval-every",
  seed: "--seed",
  checkpointMinutes: "--checkpoint-minutes",
  allowConfigChange: "--allow-config-change",
  onExisting: "--on-existing",
  onNonFinite: "--on-non-finite",
  validate: "--validate",
  initFrom: "--init-from",
};

/** resumable()'s options for the demo's arguments. */
export function demoOptions(args: DemoArgs, data: ResumableOptions["data"]): ResumableOptions {
  const p = DEMO_PRESETS[args.preset];
  return {
    dir: args.dir,
    name: `mnist-diffusion (${args.preset})`,
    model: ddpm({ unet: args.preset }),
    data,
    optimizer: adamw(),
    schedule: linearWarmup(args.lr ?? p.lr, p.warmupSteps),
    clipGradNorm: 1,
    steps: args.steps,
    batchSize: args.batchSize,
    seed: args.seed,
    checkpointEvery: args.checkpointMinutes === undefined ? args.checkpointEvery : { steps: args.checkpointEvery, minutes: args.checkpointMinutes },
    evalEvery: args.evalEvery,
    evalBatches: p.evalBatches,
    preview: { samples: 16, samplerSteps: args.samplerSteps },
    output: "terminal",
    command: continueCommand(args),
    commandFlags: COMMAND_FLAGS,
    ...(args.resumeFrom === undefined ? {} : { resumeFrom: args.resumeFrom }),
    ...(args.load === undefined ? {} : { load: args.load }),
    ...(args.initFrom === undefined ? {} : { initFrom: { path: args.initFrom, strict: !args.initPartial } }),
    ...(args.onExisting === undefined ? {} : { onExisting: args.onExisting }),
    ...(args.epochCheckpoints === undefined ? {} : { epochCheckpoints: { every: args.epochCheckpoints } }),
    ...(args.ema === undefined ? {} : { ema: { decay: args.ema } }),
    ...(args.patience === undefined ? {} : { earlyStopping: { patience: args.patience } }),
    ...(args.onNonFinite === undefined ? {} : { onNonFinite: args.onNonFinite }),
    ...(args.validate === undefined ? {} : { validate: args.validate === "off" ? false : args.validate }),
    ...(args.allowConfigChange ? { allowConfigChange: true } : {}),
  };
}

export async function runDemo(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseDemoArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(msg.badArgument(error.message));
    return 2;
  }
  if (args === "help") {
    console.log(msg.usage());
    return 0;
  }
  let run;
  try {
    run = resumable(demoOptions(args, await loadMnist()));
  } catch (error) {
    // resumable() checks its options synchronously: TypeError/RangeError name the bad one.
    if (error instanceof TypeError || error instanceof RangeError) {
      console.error(msg.badArgument(error.message));
      return 2;
    }
    console.error(msg.failed(describe(error)));
    return 1;
  }
  try {
    console.log(msg.header(args.preset, run.dir));
    const result = await run.train();
    // A diverged run, and one in a directory it cannot write (it only showed the newest checkpoint),
    // did not train to the end: a failure for scripts that chain the demo.
    return result.status === "interrupted" ? 130 : result.status === "diverged" || result.status === "read-only" ? 1 : 0;
  } catch (error) {
    console.error(isNbresumeError(error) ? msg.failed(error.message) : msg.internalError(describe(error)));
    // --on-existing ask without a terminal to answer in: a usage matter, like a bad flag.
    return isNbresumeError(error, RunErrorCode.NEEDS_ANSWER) ? 2 : 1;
  }
}

function describe(error: unknown): string {
  return isNbresumeError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
}
