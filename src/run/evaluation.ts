/**
 * Validation: the loss and metrics of the session's current parameters on the first batches of
 * the held-out data, in order, with the same generator fork every time (every evaluation sees the
 * same noise, so values compare), never touching the training generator. And the best value so far.
 */
import type { BestMetric } from "../checkpoint/store.js";
import type { Batch } from "../engine/data/batch.js";
import { DataLoader } from "../engine/data/data-loader.js";
import type { Dataset } from "../engine/data/dataset.js";
import type { Generator } from "../engine/random/generator.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import type { BestSoFar } from "./run-state.js";

/** val_loss and val_<metric> averaged over `batches` held-out batches. */
export async function evaluateHeldOut(
  session: TrainingSession<Batch>,
  test: Dataset,
  batchSize: number,
  batches: number,
  rng: Generator,
): Promise<Record<string, number>> {
  const loader = new DataLoader(test, { batchSize, shuffle: false });
  const n = Math.min(batches, loader.batchesPerEpoch);
  let loss = 0;
  const sums: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await session.evaluate(loader.next(), rng);
    loss += r.loss;
    for (const [k, v] of Object.entries(r.metrics)) sums[k] = (sums[k] ?? 0) + v;
  }
  const out: Record<string, number> = { val_loss: loss / n };
  for (const [k, v] of Object.entries(sums)) out[`val_${k}`] = v / n;
  return out;
}

/** The new best if `metrics` beat `best` at `step` by the run's metric, else undefined. Non-finite values never win. */
export function betterBest(best: BestSoFar | null, metric: BestMetric, step: number, metrics: Readonly<Record<string, number>>): BestSoFar | undefined {
  const { name, mode } = metric;
  const value = Object.hasOwn(metrics, name) ? metrics[name] : undefined;
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const better = best === null || best.metric !== name || !Number.isFinite(best.value) || (mode === "min" ? value < best.value : value > best.value);
  return better ? { metric: name, mode, value, step } : undefined;
}
