/**
 * One checkpoint copied from one storage to another (a local directory to its bucket, or back):
 * every file the manifest lists streamed in chunks (two buffers: one being written while the next
 * is read), its size and hash checked against the manifest on the way, then the manifest written
 * with the destination's own commit. A source file that does not match its manifest stops the
 * copy: a damaged checkpoint is never copied, and nothing half-copied is ever listed.
 */
import { NbresumeError } from "../errors.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "./messages.js";
import { MANIFEST_FILE, STATE_FILE } from "./naming.js";
import { MAX_MANIFEST_BYTES, type Manifest, parseManifest } from "./manifest.js";
import { hashBytes } from "./hash.js";
import { MAX_STATE_BYTES } from "./state-file.js";
import type { CheckpointStorage, EndedFile, StagedCheckpoint } from "./storage/storage.js";
import { corrupt } from "./store-errors.js";

const CHUNK = 8 * 1024 * 1024;

export interface CopyProgress {
  (copied: number, total: number): void;
}

/** The manifest of `name` in `storage`, its bytes and parsed form (CHECKPOINT_CORRUPT if invalid). */
export async function readManifestBytes(storage: CheckpointStorage, name: string): Promise<{ bytes: Uint8Array; manifest: Manifest }> {
  const bytes = await storage.files(storage.checkpointLocation(name)).readSmall(MANIFEST_FILE, MAX_MANIFEST_BYTES);
  return { bytes, manifest: parseManifest(bytes) };
}

export async function copyCheckpoint(
  from: CheckpointStorage,
  to: CheckpointStorage,
  name: string,
  options: { assertHeld: () => Promise<void>; progress?: CopyProgress },
): Promise<Manifest> {
  const source = from.files(from.checkpointLocation(name));
  // A checkpoint that is, or holds, a symlink or other special entry is never read through.
  const scan = await source.scan();
  if (scan === undefined) throw corrupt(source.location, [{ file: name, kind: "missing", message: messages.fileMissing(name) }]);
  if (scan.problems.length > 0) throw corrupt(source.location, scan.problems);
  const { bytes: manifestBytes, manifest } = await readManifestBytes(from, name);
  const entries = Object.entries(manifest.files);
  const total = entries.reduce((s, [, e]) => s + e.bytes, 0) + manifestBytes.byteLength;
  let copied = 0;
  const staged: StagedCheckpoint = to.stage(name, { replacing: await to.hasCheckpoint(name) });
  const durable: Promise<void>[] = [];
  try {
    await staged.begin();
    for (const [file, entry] of entries) {
      if (file === STATE_FILE) {
        const bytes = await source.readSmall(file, MAX_STATE_BYTES);
        const hash = hashBytes(bytes);
        if (bytes.byteLength !== entry.bytes || hash !== entry.hash) {
          throw corrupt(source.location, [{ file, kind: "hash", message: messages.fileHash(file, entry.hash, hash), expected: entry.hash, actual: hash }]);
        }
        await staged.writeFile(file, bytes);
        copied += bytes.byteLength;
        options.progress?.(copied, total);
        continue;
      }
      const handle = await source.open(file);
      let ended: EndedFile;
      try {
        if (handle.size !== entry.bytes) {
          throw corrupt(source.location, [
            { file, kind: "size", message: messages.fileSize(file, entry.bytes, handle.size), expected: entry.bytes, actual: handle.size },
          ]);
        }
        const sink = await staged.createFile(file);
        try {
          const buffers = [new Uint8Array(Math.min(CHUNK, Math.max(1, entry.bytes))), new Uint8Array(Math.min(CHUNK, Math.max(1, entry.bytes)))];
          for (let at = 0, turn = 0; at < entry.bytes; turn ^= 1) {
            const buffer = buffers[turn]!;
            const want = Math.min(buffer.byteLength, entry.bytes - at);
            const { bytesRead } = await handle.read(buffer, 0, want, at);
            if (bytesRead === 0)
              throw corrupt(source.location, [{ file, kind: "size", message: messages.fileSize(file, entry.bytes, at), expected: entry.bytes, actual: at }]);
            await sink.write(buffer.subarray(0, bytesRead));
            at += bytesRead;
            copied += bytesRead;
            options.progress?.(copied, total);
          }
          ended = await sink.end();
        } finally {
          await sink.abort();
        }
      } finally {
        await handle.close().catch(() => undefined);
      }
      durable.push(ended.durable);
      if (ended.hash !== entry.hash) {
        throw corrupt(source.location, [
          { file, kind: "hash", message: messages.fileHash(file, entry.hash, ended.hash), expected: entry.hash, actual: ended.hash },
        ]);
      }
    }
    for (const d of durable) await d;
    await staged.commit(manifestBytes, options.assertHeld);
    options.progress?.(total, total);
    return manifest;
  } catch (error) {
    if (staged.committed) throw error;
    await Promise.allSettled(durable);
    await staged.abort();
    if (error instanceof NbresumeError || error instanceof TypeError || error instanceof RangeError) throw error;
    throw new NbresumeError(
      CheckpointErrorCode.WRITE_FAILED,
      messages.copyFailed(name, from.location, to.location, error instanceof Error ? error.message : String(error)),
      { where: staged.current, cause: error },
    );
  }
}
