/**
 * Which names a blob beside the checkpoints may have: one plain segment (`samples-step-00001200.png`)
 * or a folder and a segment (`graphs/<sha256>.onnx`). Never a checkpoint's name, `latest`, a
 * hidden or temp name, nor anything that climbs out (`..`) or nests deeper: a name is a key
 * under the run on every storage, and must mean the same file on each.
 */
import { LATEST_FILE, parseCheckpointDirName } from "../naming.js";

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

function plainSegment(segment: string): boolean {
  return SEGMENT.test(segment) && !segment.endsWith(".") && segment !== LATEST_FILE && parseCheckpointDirName(segment) === undefined;
}

/** Whether `name` is a blob name (see above). */
export function isBlobName(name: string): boolean {
  if (typeof name !== "string") return false;
  const parts = name.split("/");
  if (parts.length > 2) return false;
  if (parts.length === 2 && (parts[0]!.startsWith("rolled-back-") || !plainSegment(parts[0]!))) return false;
  return parts.every(plainSegment);
}

/** A folder name for BlobStore.list(). */
export function isBlobFolder(folder: string): boolean {
  return typeof folder === "string" && !folder.includes("/") && plainSegment(folder) && !folder.startsWith("rolled-back-");
}

export function assertBlobName(name: string): void {
  if (!isBlobName(name)) {
    throw new TypeError(
      `blob name ${JSON.stringify(name)} is not allowed: use "file" or "folder/file" made of letters, digits, "_", "-" and "." ` +
        `(not starting with "." or "-", not "latest", not a checkpoint's name).`,
    );
  }
}
