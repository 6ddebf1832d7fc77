/**
 * Restoring a training session from a checkpoint (resumable()'s step 3), part by part as `load`
 * says: the weights always; the optimizer state, the step count (and with it the learning-rate
 * schedule), the training generator and the data cursor unless told not to. A part not restored
 * is what a fresh run of this config would have — zero optimizer moments, step 0, the generator
 * as drawn after the initial parameters, the data order from its start — whether the session is
 * new or reused from the previous run in this process. Returns what was reset, for the message.
 * And the divergence guard's roll-back to the newest checkpoint.
 */
import { EngineErrorCode } from "../engine/messages.js";
import type { Batch } from "../engine/data/batch.js";
import type { DataLoader } from "../engine/data/data-loader.js";
import type { JsonValue } from "../engine/nn/json.js";
import { initialParameters } from "../engine/nn/initial-parameters.js";
import { createGenerator } from "../engine/random/create-generator.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { Tensor, TensorGroup } from "../tensor.js";
import { RunErrorCode, runMessages as msg, type ResumePart } from "./messages.js";
import type { ResolvedOptions } from "./options.js";
import type { CheckpointStore, LoadedCheckpoint } from "../checkpoint/store.js";
import { checkedState } from "./resume-gate.js";
import type { Candidate } from "./resume-plan.js";
import { RunBook } from "./run-book.js";
import type { RunOutput } from "./run-output.js";
import type { RunState } from "./run-state.js";
import { errorMessage } from "../shared/error-message.js";

function zerosLike(group: TensorGroup): TensorGroup {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(group)) out[name] = { dtype: "float32", shape: t.shape, data: new Float32Array(t.data.length) };
  return out;
}

/** The training generator's state in a fresh run of this seed: forked as resumable() forks it, after drawing the initial parameters. */
function freshGeneratorState(o: ResolvedOptions, session: TrainingSession<Batch>): JsonValue {
  const rng = createGenerator(o.seed).fork("train");
  initialParameters(session.parameterSpecs, rng);
  return JSON.parse(JSON.stringify(rng.state())) as JsonValue;
}

/** Loads `candidate` into `session` and `loader` as `o.load` says; returns the parts reset. */
export function restoreSession(
  session: TrainingSession<Batch>,
  loader: DataLoader,
  candidate: Candidate,
  o: ResolvedOptions,
  out: RunOutput,
  restart: boolean,
): ResumePart[] {
  const { loaded, saved } = candidate;
  const parts = { ...o.load, schedule: o.load.schedule && !restart };
  const reset: ResumePart[] = [];
  const group = (name: string): TensorGroup => loaded.tensors[name] ?? {};
  const current = session.stateDict();
  const state = {
    ...saved.training,
    step: parts.schedule ? saved.training.step : 0,
    rng: parts.rng ? saved.training.rng : freshGeneratorState(o, session),
  };
  if (!parts.schedule) reset.push("schedule");
  if (!parts.rng) reset.push("RNG");
  const load = (optimizer: TensorGroup): void => session.loadStateDict({ tensors: { model: group("model"), optimizer }, state });
  try {
    if (parts.optimizer) load(group("optimizer"));
    else {
      load(zerosLike(current.tensors.optimizer));
      reset.push("optimizer");
    }
  } catch (error) {
    if (!isNbresumeError(error, EngineErrorCode.STATE_MISMATCH)) throw error;
    // An allowed optimizer change: keep the weights, start the new optimizer's state fresh (and say so).
    if (!(o.allowConfigChange && error.where?.startsWith("optimizer/") === true)) {
      throw new NbresumeError(RunErrorCode.STATE_MISMATCH, msg.stateMismatch(loaded.name, error.message), { where: loaded.path, cause: error });
    }
    load(zerosLike(current.tensors.optimizer));
    reset.push("optimizer");
  }
  if (parts.data) restoreCursor(loader, saved, o, out);
  else reset.push("data order");
  const order: ResumePart[] = ["optimizer", "schedule", "RNG", "data order"];
  return order.filter((p) => reset.includes(p));
}

function restoreCursor(loader: DataLoader, saved: RunState, o: ResolvedOptions, out: RunOutput): void {
  try {
    loader.restore(saved.data);
  } catch (error) {
    if (!o.allowConfigChange) throw error;
    // Another dataset, batch size or seed (allowed): the old position means nothing here.
    const epoch = typeof saved.data.epoch === "number" && Number.isSafeInteger(saved.data.epoch) && saved.data.epoch >= 0 ? saved.data.epoch : 0;
    loader.restore({ ...loader.cursor(), epoch, position: 0 });
    out.warn(msg.dataCursorReset(errorMessage(error), epoch));
  }
}

/**
 * onNonFinite "rollback": the session, loader and book back to the newest checkpoint of `store` —
 * weights, optimizer, step, generator, the book's state — with the data cursor where it is now,
 * past the batch that diverged (replaying it would diverge again), and the divergence guard's
 * counters kept (the roll-back counts). Undefined when there is no checkpoint to go back to.
 */
export async function rollBackTo(
  store: CheckpointStore,
  session: TrainingSession<Batch>,
  loader: DataLoader,
  book: RunBook,
  o: ResolvedOptions,
  out: RunOutput,
): Promise<{ loaded: LoadedCheckpoint; book: RunBook } | undefined> {
  const loaded = await store.resolveAndLoad("auto");
  if (loaded === undefined) return undefined;
  const saved = checkedState(loaded);
  const past = loader.cursor();
  restoreSession(session, loader, { loaded, saved }, { ...o, load: { optimizer: true, schedule: true, rng: true, data: true } }, out, false);
  loader.restore(past);
  const back = RunBook.resumed(o, saved, book.origin);
  back.startEma(o, session.parameters(), { name: loaded.name, tensors: loaded.tensors, saved }, out);
  back.guard = book.guard;
  return { loaded, book: back };
}
