/**
 * The blobs of a run directory given only its location (what the run's preview and graph files
 * are written with): the blobs of the writable store open on it in this process, if there is one
 * (so a mirrored store copies them to its bucket too), else the location's own storage's.
 */
import { normalizeLocation } from "./location.js";
import { openStorage } from "./registry.js";
import type { BlobStore } from "./storage.js";

function registry(): Map<string, BlobStore> {
  const key = Symbol.for("nbresume.checkpoint.openBlobs");
  const holder = globalThis as { [k: symbol]: Map<string, BlobStore> | undefined };
  return (holder[key] ??= new Map<string, BlobStore>());
}

/** A writable store's blobs, found by its location until the returned function is called (at close). */
export function registerOpenBlobs(location: string, blobs: BlobStore): () => void {
  const key = normalizeLocation(location);
  registry().set(key, blobs);
  return () => {
    if (registry().get(key) === blobs) registry().delete(key);
  };
}

/** Run `use` with the blobs of `location` (see the top of this file). */
export async function withBlobsAt<T>(location: string, use: (blobs: BlobStore) => Promise<T>): Promise<T> {
  const open = registry().get(normalizeLocation(location));
  if (open !== undefined) return use(open);
  const storage = await openStorage(location);
  try {
    return await use(storage.blobs);
  } finally {
    await storage.close();
  }
}
