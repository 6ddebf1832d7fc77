/**
 * The MNIST diffusion demo, headless:
 *
 *   npm run demo -- --dir DIR --steps N [--preset tiny|small] [--checkpoint-every K]
 *
 * The same resumable() run a notebook cell uses, with terminal output: a one-line progress bar,
 * sample grids written as PNG files into DIR. Rerunning the command on the same DIR resumes.
 * Exit status: 0 when training finished (or had already), 130/143/129 after SIGINT/SIGTERM/SIGHUP
 * (the process dies of the signal once the emergency checkpoint is committed; a second signal
 * meanwhile only says "saving, press again to abort", a third aborts), 1 on a run error, 2 on a
 * bad argument (only the command line and the options it makes: an error inside the run is never
 * "a bad argument", whatever its class).
 */
import { parseArgs } from "node:util";
import { isNbresumeError } from "../errors.js";
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
  };
}

/** The argv that continues this run, recorded in every checkpoint for `nbresume resume-command`. */
function continueCommand(a: DemoArgs): string[] {
  return [
    "npm", "run", "demo", "--", "--dir", a.dir, "--steps", String(a.steps), "--preset", a.preset,
    "--checkpoint-every", String(a.checkpointEvery), "--batch-size", String(a.batchSize),
    "--eval-every", String(a.evalEvery), "--sampler-steps", String(a.samplerSteps), "--seed", String(a.seed),
  ];
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
  const p = DEMO_PRESETS[args.preset];
  let run;
  try {
    run = resumable({
      dir: args.dir,
      name: `mnist-diffusion (${args.preset})`,
      model: ddpm({ unet: args.preset }),
      data: await loadMnist(),
      optimizer: adamw(),
      schedule: linearWarmup(p.lr, p.warmupSteps),
      clipGradNorm: 1,
      steps: args.steps,
      batchSize: args.batchSize,
      seed: args.seed,
      checkpointEvery: args.checkpointEvery,
      evalEvery: args.evalEvery,
      evalBatches: p.evalBatches,
      preview: { samples: 16, samplerSteps: args.samplerSteps },
      output: "terminal",
      command: continueCommand(args),
    });
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
    return result.status === "interrupted" ? 130 : 0;
  } catch (error) {
    console.error(isNbresumeError(error) ? msg.failed(error.message) : msg.internalError(describe(error)));
    return 1;
  }
}

function describe(error: unknown): string {
  return isNbresumeError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
}

