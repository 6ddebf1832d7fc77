/**
 * A file of the user's (an exported model) written so that a reader sees the previous file or the
 * new one, never a partial one: temp file beside it → write → fsync → rename → fsync the directory.
 */
import { nodeFs, replaceFileAtomically } from "./durable-fs.js";

export function writeFileAtomically(file: string, bytes: Uint8Array): Promise<void> {
  return replaceFileAtomically(nodeFs, file, bytes);
}
