/**
 * The compiled training session of the last run, kept for the next train() in this process.
 *
 * Rerunning a training cell in a live kernel is the common way to resume, and compiling the fused
 * step graph is the biggest cost of a resume that is not verifying, loading or previewing (0.3–0.7 s
 * for the tiny UNet here, bench/resume.bench.ts). A session's state is entirely what
 * loadStateDict() replaces (parameters, optimizer state, step, generator state), so one compiled
 * for the same model, optimizer, schedule, batch size, seed, clipping and threads serves a resume
 * exactly as a fresh one would. A fresh start always compiles anew: its initial parameters come from
 * drawing them at creation.
 *
 * One session is kept (the newest); a session is checked out while a run uses it, so two runs
 * never share one.
 */
import type { Batch } from "../engine/data/batch.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { processWide } from "../shared/process-wide.js";

interface Cached {
  readonly key: string;
  readonly session: TrainingSession<Batch>;
}

function slot(): { cached: Cached | undefined } {
  return processWide("sessionCache.v1", () => ({ cached: undefined as Cached | undefined }));
}

/** Whether a session for `key` is cached (a rerun in the same kernel will reuse it). */
export function hasCachedSession(key: string): boolean {
  return slot().cached?.key === key;
}

/** The cached session for `key`, taken out of the cache, or undefined. */
export function checkoutSession(key: string): TrainingSession<Batch> | undefined {
  const s = slot();
  if (s.cached?.key !== key) return undefined;
  const { session } = s.cached;
  s.cached = undefined;
  return session;
}

/** Keeps `session` for the next run with `key`; the one kept before is released. */
export async function checkinSession(key: string, session: TrainingSession<Batch>): Promise<void> {
  const s = slot();
  const previous = s.cached;
  s.cached = { key, session };
  if (previous !== undefined && previous.session !== session) await previous.session.release();
}

/** Releases the kept session, if any (frees its onnxruntime memory). */
export async function releaseCachedSession(): Promise<void> {
  const s = slot();
  const previous = s.cached;
  s.cached = undefined;
  await previous?.session.release();
}
