/**
 * Child process for graph-cache.test.ts: compiles the UNet (tiny) training step through the graph
 * cache in $NBRESUME_CACHE_DIR, runs two steps, prints the losses as JSON.
 */
import { ddpm } from "../../../src/engine/diffusion/ddpm-model.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { constantLr } from "../../../src/engine/optim/schedules.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { createTrainingSession } from "../../../src/engine/session/onnx-training-session.js";

export async function twoSteps(): Promise<number[]> {
  const session = await createTrainingSession({ model: ddpm({ unet: "tiny" }), batchSize: 8, optimizer: adamw({}), schedule: constantLr(1e-3), rng: createGenerator(5) });
  const images = Float32Array.from({ length: 8 * 784 }, (_, i) => Math.cos(i * 0.11));
  const losses = [(await session.step({ images })).loss, (await session.step({ images })).loss];
  await session.release();
  return losses;
}

if (process.argv[1]?.endsWith("compile-child.ts")) process.stdout.write(JSON.stringify(await twoSteps()));
