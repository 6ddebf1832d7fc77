/** The demo's own messages (usage, argument errors); the run's are in ../run/messages.ts. */
import { DEFAULT_DEMO_DIR, DEMO_PRESETS } from "./presets.js";

export const demoMessages = {
  usage(): string {
    const t = DEMO_PRESETS.tiny;
    return [
      "Trains a small diffusion model (DDPM UNet) on the MNIST digits, headless, and resumes where it",
      "stopped when DIR already holds checkpoints. Ctrl-C saves an emergency checkpoint; run the same",
      "command again to continue.",
      "",
      "usage: npm run demo -- [--dir DIR] [--steps N] [--preset tiny|small] [--checkpoint-every K]",
      "                       [--batch-size B] [--eval-every E] [--sampler-steps S] [--seed S]",
      "                       [--resume-from REF] [--load PARTS] [--init-from FILE] [--on-existing WHAT]",
      "                       [--checkpoint-minutes M] [--epoch-checkpoints N] [--ema DECAY] [--patience N]",
      "                       [--on-non-finite WHAT] [--validate WHAT] [--lr LR] [--allow-config-change]",
      "",
      `  --dir DIR              run directory (default ${DEFAULT_DEMO_DIR})`,
      `  --steps N              train until step N (default: the preset's, ${t.steps} for tiny)`,
      "  --preset tiny|small    UNet size (default tiny; small is ~4x slower per step)",
      `  --checkpoint-every K   rolling checkpoint + sample grid every K steps (default ${t.checkpointEvery})`,
      "  --batch-size B         images per step (default: the preset's)",
      "  --eval-every E         validation loss every E steps (default: --checkpoint-every)",
      "  --sampler-steps S      DDIM steps per sample grid (default 20)",
      "  --seed S               seed of the whole run (default 0)",
      "",
      "  --resume-from REF      auto (default), latest, best, best-previous, step:N, a checkpoint directory, or",
      "                         none; newer checkpoints are moved to DIR/rolled-back-<time>/, never deleted",
      "  --load PARTS           what a resume restores besides the weights: all (default), weights (none), or",
      "                         a comma list of optimizer,schedule,rng,data",
      "  --init-from FILE       start from these weights (.safetensors, a checkpoint directory, .onnx)",
      "  --init-partial         with --init-from: load the tensors that fit, list the rest (strict: false)",
      "  --on-existing WHAT     resume (default), fresh (move the old checkpoints aside), ask, error",
      "  --checkpoint-minutes M also a checkpoint every M minutes of training",
      "  --epoch-checkpoints N  an epoch checkpoint at the end of every N-th epoch",
      "  --ema DECAY            keep an EMA of the weights (e.g. 0.999): previews and export use it",
      "  --patience N           early stopping: stop when val_loss has not improved for N evaluations",
      "  --on-non-finite WHAT   a NaN/Inf loss or gradient: stop (default), skip-step, rollback",
      "  --validate WHAT        a resume preview that is NaN or degenerate: fallback (default), warn, stop, off",
      "  --lr LR                learning rate after warmup (default: the preset's)",
      "  --allow-config-change  resume even when the data, batch size, seed or model changed",
    ].join("\n");
  },
  badArgument(detail: string): string {
    return `demo: ${detail}\nRun \`npm run demo -- --help\` for the options.`;
  },
  badNumber(flag: string, value: string): string {
    return `${flag} must be a positive integer, got ${JSON.stringify(value)}`;
  },
  badChoice(flag: string, value: string, choices: readonly string[]): string {
    return `${flag} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`;
  },
  badFraction(flag: string, value: string): string {
    return `${flag} must be a number between 0 and 1 (exclusive), got ${JSON.stringify(value)}`;
  },
  badPositive(flag: string, value: string): string {
    return `${flag} must be a number > 0, got ${JSON.stringify(value)}`;
  },
  badLoad(value: string): string {
    return `--load must be all, weights, or a comma list of optimizer, schedule, rng, data; got ${JSON.stringify(value)}`;
  },
  badPreset(value: string): string {
    return `--preset must be one of ${Object.keys(DEMO_PRESETS).join(", ")}, got ${JSON.stringify(value)}`;
  },
  failed(message: string): string {
    return `demo: ${message}`;
  },
  internalError(detail: string): string {
    return `demo: internal error (please report it): ${detail}`;
  },
  header(preset: string, dir: string): string {
    return `MNIST diffusion demo (${preset} UNet) in ${dir}`;
  },
} as const;
