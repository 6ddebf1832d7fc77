/**
 * The MNIST diffusion demo's presets: a small DDPM UNet on the MNIST digits, trained with AdamW
 * after a short linear warmup. The learning rate does not depend on `steps`, so raising --steps
 * on a finished run continues it exactly as if it had been started with the larger count.
 */
import type { UNetPreset } from "../engine/models/unet.js";

export interface DemoPreset {
  readonly unet: UNetPreset;
  readonly batchSize: number;
  readonly lr: number;
  readonly warmupSteps: number;
  /** Default --steps: where samples already look like digits. */
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly evalBatches: number;
}

export const DEMO_PRESETS: Readonly<Record<UNetPreset, DemoPreset>> = {
  tiny: { unet: "tiny", batchSize: 32, lr: 2e-3, warmupSteps: 100, steps: 3000, checkpointEvery: 250, evalBatches: 8 },
  small: { unet: "small", batchSize: 64, lr: 1e-3, warmupSteps: 200, steps: 3000, checkpointEvery: 250, evalBatches: 4 },
};

export const DEFAULT_DEMO_DIR = "runs/mnist-diffusion";
