/**
 * A mirrored run on a new machine: the store copies the bucket's newest checkpoint that verifies
 * (and the model's graphs) down when it opens; the run's record beside it — metrics.jsonl and
 * loss.png, which the run sends to the bucket through the store's blobs — is copied down here, so
 * the resumed run's record goes on from the step it resumes (metrics.jsonl is cut back to it).
 * Best effort: a record that cannot be read from the bucket leaves the run to say which steps its
 * record lacks, as for any run whose metrics.jsonl is missing.
 */
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { S3Options } from "../checkpoint/storage/s3/s3-options.js";
import { METRICS_FILE } from "./metrics-log.js";
import { LOSS_CHART_FILE } from "./run-record.js";

const MAX_RECORD_BYTES = 512 * 1024 * 1024;

/** Copies the record files the local directory lacks from the mirror `target`; returns their names. */
export async function pullRunRecord(store: CheckpointStore, target: string, s3: S3Options | undefined): Promise<string[]> {
  const copied: string[] = [];
  try {
    const here = new Set((await store.blobs.list()).map((b) => b.name));
    const wanted = [METRICS_FILE, LOSS_CHART_FILE].filter((name) => !here.has(name));
    if (wanted.length === 0) return copied;
    const remote = await CheckpointStore.open(target, { readOnly: true, ...(s3 === undefined ? {} : { s3 }) });
    try {
      for (const name of wanted) {
        const bytes = await remote.blobs.get(name, MAX_RECORD_BYTES).catch(() => undefined);
        if (bytes === undefined) continue;
        await store.blobs.put(name, bytes, { durable: true });
        copied.push(name);
      }
    } finally {
      await remote.close();
    }
  } catch {
    // The run says what its record lacks (metrics-log.ts); the checkpoint itself is what matters.
  }
  return copied;
}
