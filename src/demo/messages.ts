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
      "",
      `  --dir DIR              run directory (default ${DEFAULT_DEMO_DIR})`,
      `  --steps N              train until step N (default: the preset's, ${t.steps} for tiny)`,
      "  --preset tiny|small    UNet size (default tiny; small is ~4x slower per step)",
      `  --checkpoint-every K   rolling checkpoint + sample grid every K steps (default ${t.checkpointEvery})`,
      "  --batch-size B         images per step (default: the preset's)",
      "  --eval-every E         validation loss every E steps (default: --checkpoint-every)",
      "  --sampler-steps S      DDIM steps per sample grid (default 20)",
      "  --seed S               seed of the whole run (default 0)",
    ].join("\n");
  },
  badArgument(detail: string): string {
    return `demo: ${detail}\nRun \`npm run demo -- --help\` for the options.`;
  },
  badNumber(flag: string, value: string): string {
    return `${flag} must be a positive integer, got ${JSON.stringify(value)}`;
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
