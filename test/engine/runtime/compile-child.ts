/**
 * A few UNet (tiny) DDPM training steps for graph-cache.test.ts, in its process or, run as a
 * script, in a child (which prints the losses of two steps as JSON; the compile goes through the
 * graph cache in $NBRESUME_CACHE_DIR, the session's default).
 */
import "../../../src/engine/register-builtins.js";
import { ddpm } from "../../../src/engine/diffusion/ddpm-model.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { constantLr } from "../../../src/engine/optim/schedules.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { createTrainingSession, type GraphCompiler } from "../../../src/engine/session/onnx-training-session.js";
import { tensor, type TensorGroup } from "../../../src/tensor.js";

export interface TinyRun {
  readonly params: TensorGroup;
  readonly optimizer: TensorGroup;
  readonly losses: number[];
}

/** `steps` AdamW steps of the tiny UNet on a fixed batch, compiled by `compile` (default: the session's own). */
export async function trainTiny(steps: number, compile?: GraphCompiler): Promise<TinyRun> {
  const session = await createTrainingSession({
    model: ddpm({ unet: "tiny" }),
    batchSize: 8,
    optimizer: adamw({}),
    schedule: constantLr(1e-3),
    rng: createGenerator(11),
    ...(compile === undefined ? {} : { compile }),
  });
  const images = Float32Array.from({ length: 8 * 784 }, (_, i) => Math.sin(i * 0.37));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await session.step({ columns: { images: tensor("float32", [8, 784], images) } })).loss);
  const dict = session.stateDict();
  await session.release();
  return { params: dict.tensors.model, optimizer: dict.tensors.optimizer, losses };
}

if (process.argv[1]?.endsWith("compile-child.ts")) process.stdout.write(JSON.stringify((await trainTiny(2)).losses));
