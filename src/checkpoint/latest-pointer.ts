/**
 * The `latest` pointer: a small file naming the checkpoint committed last. It is read like any
 * file in a run directory, as untrusted: never followed if it is a symlink (one pointing at
 * /etc/passwd once had `resume-command --ref latest` print that file's first bytes), never opened
 * if it is a FIFO (that blocked every command forever), and its content is echoed in messages only
 * when it is short printable text.
 */
import * as path from "node:path";
import { type DurableFs, FileTooLargeError, NotRegularFileError, errnoCode, readSmallFile } from "./durable-fs.js";
import { checkpointMessages as messages } from "./messages.js";
import { LATEST_FILE, parseCheckpointDirName } from "./naming.js";

const PRINTABLE = /^[\x20-\x7e]{0,80}$/;
export const MAX_LATEST_BYTES = 4096;

/** The checkpoint name `latest` holds, or a message fragment saying why it holds none. */
export async function readLatestPointer(fs: DurableFs, dir: string): Promise<{ name: string } | { problem: string }> {
  return readLatestWith(() => readSmallFile(fs, path.join(dir, LATEST_FILE), MAX_LATEST_BYTES));
}

/** The same, from any storage: `read` returns the pointer's bytes (at most MAX_LATEST_BYTES) or throws as durable-fs does. */
export async function readLatestWith(read: () => Promise<Uint8Array>): Promise<{ name: string } | { problem: string }> {
  let raw: Uint8Array;
  try {
    raw = await read();
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return { problem: messages.latestProblem("is missing") };
    if (error instanceof NotRegularFileError) return { problem: messages.latestProblem(messages.latestSpecial(error.kind)) };
    if (error instanceof FileTooLargeError) return { problem: messages.latestProblem(messages.latestNotName(undefined, error.size)) };
    return { problem: messages.latestProblem(`is unreadable (${errnoCode(error) ?? (error instanceof Error ? error.message : String(error))})`) };
  }
  const text = new TextDecoder().decode(raw).trim();
  if (parseCheckpointDirName(text)) return { name: text };
  return { problem: messages.latestProblem(messages.latestNotName(PRINTABLE.test(text) ? text : undefined, raw.byteLength)) };
}
