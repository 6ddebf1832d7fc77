/** A small MNIST classifier run, fast enough for many runs per test (MNIST loaded once per process). */
import { loadMnist } from "../../src/engine/data/mnist.js";
import type { DatasetSplit } from "../../src/engine/data/dataset.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { cosineWithWarmup } from "../../src/engine/optim/schedules.js";
import { resumable } from "../../src/run/resumable.js";
import type { ResumableOptions, Run } from "../../src/run/run.js";
import { RecordingOutput } from "./recording-output.js";

let mnist: Promise<DatasetSplit> | undefined;
export function mnistOnce(): Promise<DatasetSplit> {
  mnist ??= loadMnist();
  return mnist;
}

/** A small MLP classifier run: well under 1 ms per step, dropout (so the generator matters), cosine schedule. */
export async function mlpRun(dir: string, overrides: Partial<ResumableOptions> = {}): Promise<Run> {
  return resumable({
    dir,
    model: mlpClassifier({ inputSize: 784, hidden: [32], classes: 10, dropout: 0.1 }),
    data: await mnistOnce(),
    optimizer: adamw(),
    // Decays over the whole of any test run and never reaches 0, so every step changes the weights
    // and the step count fed to the schedule matters after a resume.
    schedule: cosineWithWarmup({ lr: 3e-3, warmupSteps: 10, totalSteps: 100_000, minLr: 1e-4 }),
    steps: 120,
    batchSize: 32,
    checkpointEvery: 40,
    evalEvery: 40,
    evalBatches: 2,
    seed: 7,
    preview: { samples: 8 },
    output: new RecordingOutput(),
    ...overrides,
  });
}
