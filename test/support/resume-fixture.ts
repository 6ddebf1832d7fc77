/**
 * The body of an exact-resume fixture process (exact-resume.ts runs it three times):
 *
 *   node --import tsx FIXTURE.ts --out DIR --steps N --total T [--from DIR]
 *
 * trains the session `setup` describes on the MNIST training digits (data order from a fork of the
 * seed's generator, the session's randomness from another) and writes its state dict, with the
 * DataLoader cursor, and its losses as a run record. Without --from it starts from the seed; with
 * --from it loads the state dict and cursor another process wrote and continues from there.
 */
import { parseArgs } from "node:util";
import type { Batch, DataLoaderOptions } from "../../src/engine/data/batch.js";
import { DataLoader, loadMnist } from "../../src/engine/data/index.js";
import type { JsonValue } from "../../src/engine/nn/json.js";
import { createGenerator } from "../../src/engine/random/index.js";
import { createTrainingSession } from "../../src/engine/session/onnx-training-session.js";
import type { TrainingSessionOptions } from "../../src/engine/session/training-session.js";
import { readRun, writeRun } from "./run-record.js";

export interface ResumeFixtureSetup {
  readonly seed: number | string;
  readonly batchSize: number;
  /** The session's options but its batch size and generator; `totalSteps` is the whole run's length (for schedules). */
  session(totalSteps: number): Omit<TrainingSessionOptions<Batch>, "batchSize" | "rng">;
}

export async function runResumeFixture(setup: ResumeFixtureSetup): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string" }, steps: { type: "string" }, total: { type: "string" }, from: { type: "string" } } });
  const steps = Number(values.steps);
  const total = Number(values.total);
  const { train } = await loadMnist();
  const root = createGenerator(setup.seed);
  const loaderOptions: DataLoaderOptions = { batchSize: setup.batchSize, generator: root.fork("data") };
  const session = await createTrainingSession({ ...setup.session(total), batchSize: setup.batchSize, rng: root.fork("train") });
  let loader = new DataLoader(train, loaderOptions);
  if (values.from !== undefined) {
    const { dict } = await readRun(values.from);
    session.loadStateDict(dict);
    loader = DataLoader.fromCursor(train, loaderOptions, dict.state["data"]);
  }
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await session.step(loader.next())).loss);
  await writeRun(values.out!, session.stateDict({ data: loader.cursor() as unknown as JsonValue }), losses);
  await session.release();
}
