/**
 * A mirrored run on a new machine: the store copies the bucket's newest checkpoint that verifies
 * (and the model's graphs) down when it opens; the run's record beside it — metrics.jsonl and
 * loss.png, which the run sends to the bucket through the store's blobs — is copied down here, so
 * the resumed run's record goes on from the step it resumes (metrics.jsonl is cut back to it).
 * The bucket's metrics.jsonl also replaces a local one that goes less far: a machine that comes back
 * with an old copy of the run (the bucket went on elsewhere) takes the bucket's whole record, and
 * its own is kept aside (metrics-before-<time>.jsonl), never mirrored over the bucket's.
 * Best effort: a record that cannot be read from the bucket leaves the run to say which steps its
 * record lacks, as for any run whose metrics.jsonl is missing.
 */
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { S3Options } from "../checkpoint/storage/s3/s3-options.js";
import { METRICS_FILE, parseMetrics, stamp } from "./metrics-log.js";
import { LOSS_CHART_FILE } from "./run-record.js";

const MAX_RECORD_BYTES = 512 * 1024 * 1024;

/** The last step a metrics.jsonl records (0 for none). */
function lastStep(bytes: Uint8Array): number {
  const last = parseMetrics(bytes).lines.at(-1)?.step;
  return typeof last === "number" ? last : 0;
}

/**
 * Copies the mirror's record into the local directory where the local one is missing or, for
 * metrics.jsonl, goes less far (then loss.png comes with it); returns the names copied.
 */
export async function pullRunRecord(store: CheckpointStore, target: string, s3: S3Options | undefined): Promise<string[]> {
  const copied: string[] = [];
  try {
    const here = new Set((await store.blobs.list()).map((b) => b.name));
    const remote = await CheckpointStore.open(target, { readOnly: true, ...(s3 === undefined ? {} : { s3 }) });
    try {
      const theirs = await remote.blobs.get(METRICS_FILE, MAX_RECORD_BYTES).catch(() => undefined);
      const ours = here.has(METRICS_FILE) ? await store.blobs.get(METRICS_FILE, MAX_RECORD_BYTES) : undefined;
      const behind = ours !== undefined && theirs !== undefined && lastStep(theirs) > lastStep(ours);
      if (behind) await store.blobs.put(`metrics-before-${stamp(new Date())}.jsonl`, ours, { durable: true });
      if (theirs !== undefined && (ours === undefined || behind)) {
        await store.blobs.put(METRICS_FILE, theirs, { durable: true });
        copied.push(METRICS_FILE);
      }
      if (!here.has(LOSS_CHART_FILE) || behind) {
        const chart = await remote.blobs.get(LOSS_CHART_FILE, MAX_RECORD_BYTES).catch(() => undefined);
        if (chart !== undefined) {
          await store.blobs.put(LOSS_CHART_FILE, chart, { durable: true });
          copied.push(LOSS_CHART_FILE);
        }
      }
    } finally {
      await remote.close();
    }
  } catch {
    // The run says what its record lacks (metrics-log.ts); the checkpoint itself is what matters.
  }
  return copied;
}
