/**
 * The mirror's thread (started by mirror.ts): it copies committed checkpoints and blobs from the
 * local directory to the bucket, one job at a time in the order asked, and applies the retention
 * policy to the bucket after each upload. Like the save worker, it runs at network and disk speed
 * whatever the training loop does on the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { CheckpointIndex } from "./checkpoint-index.js";
import { Listing } from "./listing.js";
import { copyCheckpoint, readManifestBytes } from "./mirror-copy.js";
import type { MirrorJob, MirrorReply, MirrorWorkerData } from "./mirror-protocol.js";
import { Pruner } from "./pruning.js";
import { compareNewestFirst, resolveRetentionPolicy } from "./retention.js";
import type { StoreContext } from "./store-context.js";
import { storageFromSpec } from "./storage/registry.js";
import type { CheckpointStorage } from "./storage/storage.js";
import { syncNodeFs } from "./sync-fs.js";
import { serializeError } from "../shared/thread-errors.js";
import { parseCheckpointDirName } from "./naming.js";
import { isNbresumeError } from "../errors.js";
import { CheckpointErrorCode } from "./messages.js";

const port = parentPort;
if (port === null) throw new Error("mirror-worker.ts runs as a worker thread (see mirror.ts)");
const data = workerData as MirrorWorkerData;

interface Sides {
  local: CheckpointStorage;
  remote: CheckpointStorage;
  pruner: Pruner;
  assertHeld: () => Promise<void>;
}

async function open(): Promise<Sides> {
  const local = await storageFromSpec(data.local, { fs: syncNodeFs });
  const remote = await storageFromSpec(data.remote);
  const lease = remote.leaseFor(data.leaseToken);
  const ctx: StoreContext = {
    storage: remote,
    dir: remote.location,
    readOnly: false,
    policy: resolveRetentionPolicy(data.keep),
    bestMetric: data.bestMetric,
    margin: 0,
    autoPrune: true,
    lease,
  };
  const listing = new Listing(ctx);
  const index = new CheckpointIndex(remote, (location) => listing.describe(location));
  return { local, remote, pruner: new Pruner(ctx, listing, index), assertHeld: () => lease.assertHeld() };
}

const sides = open();
sides.catch(() => undefined); // reported with the first job

/** Whether the bucket holds exactly this checkpoint already (the same manifest bytes). */
async function alreadyThere(s: Sides, name: string): Promise<boolean> {
  if (!(await s.remote.hasCheckpoint(name))) return false;
  try {
    const [a, b] = await Promise.all([readManifestBytes(s.local, name), readManifestBytes(s.remote, name)]);
    return a.bytes.byteLength === b.bytes.byteLength && a.bytes.every((x, i) => x === b.bytes[i]);
  } catch {
    return false;
  }
}

async function upload(s: Sides, id: number, name: string): Promise<void> {
  if (!(await alreadyThere(s, name))) {
    await copyCheckpoint(s.local, s.remote, name, {
      assertHeld: s.assertHeld,
      progress: (copied, total) => port!.postMessage({ type: "progress", id, name, copied, total } satisfies MirrorReply),
    });
  }
  await s.remote.writeLatest(name);
}

async function run(job: MirrorJob): Promise<Extract<MirrorReply, { type: "done"; ok: true }>> {
  const s = await sides;
  switch (job.op) {
    case "upload": {
      await upload(s, job.id, job.name);
      const pruned = (await s.pruner.pruneNow(job.name, "fresh")).deleted;
      return { type: "done", id: job.id, ok: true, uploaded: [job.name], missing: [], pruned };
    }
    case "catchUp": {
      // Oldest first, so the bucket's `latest` ends at the newest.
      const localNames = (await s.local.listNames()).sort((a, b) => compareNewestFirst(key(b), key(a)));
      const remoteNames = new Set(await s.remote.listNames());
      const uploaded: string[] = [];
      const damaged: string[] = [];
      for (const name of localNames) {
        if (remoteNames.has(name) && (await alreadyThere(s, name))) {
          uploaded.push(name); // in the bucket already
          continue;
        }
        try {
          await upload(s, job.id, name);
          uploaded.push(name);
        } catch (error) {
          // A damaged local checkpoint is never copied; the others still are.
          if (!isNbresumeError(error, CheckpointErrorCode.CORRUPT)) throw error;
          damaged.push(name);
        }
      }
      // Blobs the bucket lacks (previews, the model's graphs).
      const remoteBlobs = new Map([...(await s.remote.blobs.list()), ...(await s.remote.blobs.list(job.folder))].map((b) => [b.name, b.bytes]));
      for (const blob of [...(await s.local.blobs.list()), ...(await s.local.blobs.list(job.folder))]) {
        if (remoteBlobs.get(blob.name) === blob.bytes) continue;
        await s.remote.blobs.put(blob.name, await s.local.blobs.get(blob.name, job.maxBlobBytes));
      }
      // The newest checkpoint known to be in the bucket intact is the one retention protects (no download to check it).
      const pruned = (await s.pruner.pruneNow(uploaded.at(-1), "fresh")).deleted;
      return { type: "done", id: job.id, ok: true, uploaded, missing: damaged, pruned };
    }
    case "putBlob":
      await s.remote.blobs.put(job.name, job.bytes);
      return { type: "done", id: job.id, ok: true, uploaded: [], missing: [], pruned: [] };
    case "deleteBlob":
      await s.remote.blobs.delete(job.name);
      return { type: "done", id: job.id, ok: true, uploaded: [], missing: [], pruned: [] };
    case "prune": {
      const pruned = (await s.pruner.pruneNow(undefined, "fresh")).deleted;
      return { type: "done", id: job.id, ok: true, uploaded: [], missing: [], pruned };
    }
  }
}

function key(name: string): { step: number; created: string | undefined; name: string } {
  const parsed = parseCheckpointDirName(name);
  return { step: parsed?.step ?? 0, created: undefined, name };
}

let chain: Promise<void> = Promise.resolve();
port.on("message", (job: MirrorJob) => {
  chain = chain.then(() =>
    run(job).then(
      (reply) => port.postMessage(reply),
      (error: unknown) => port.postMessage({ type: "done", id: job.id, ok: false, error: serializeError(error) } satisfies MirrorReply),
    ),
  );
});
