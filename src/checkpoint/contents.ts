/**
 * What a checkpoint holds, read without loading tensor data: each group's safetensors header
 * (validated by the same reader the store uses), state.json and the manifest. Every part that
 * cannot be read is reported as a problem naming its file, and the rest is still shown. Read as
 * every store read is: nothing followed through a symlink, nothing but plain files opened.
 */
import { NotRegularFileError } from "./durable-fs.js";
import { checkpointMessages as messages } from "./messages.js";
import { STATE_FILE, groupOfFile } from "./naming.js";
import { DTYPE_OF, parseHeader, readHeaderLength } from "./safetensors/index.js";
import { MAX_STATE_BYTES, parseState } from "./state-file.js";
import type { CheckpointFiles } from "./storage/storage.js";
import type { CheckpointContents, CheckpointProblem, CheckpointState, GroupContents, TensorSummary } from "./store.js";
import { readManifestOf } from "./verify.js";
import { BYTES_PER_ELEMENT } from "../tensor.js";

async function readFully(
  handle: { read(b: Uint8Array, o: number, l: number, p: number): Promise<{ bytesRead: number }> },
  into: Uint8Array,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

async function readGroup(files: CheckpointFiles, file: string, group: string): Promise<GroupContents> {
  const handle = await files.open(file);
  try {
    const { size } = handle;
    const first = new Uint8Array(8);
    await readFully(handle, first.subarray(0, Math.min(8, size)), 0);
    const n = readHeaderLength(first, size, file);
    const prefix = new Uint8Array(8 + n);
    const got = await readFully(handle, prefix, 0);
    const header = parseHeader(prefix.subarray(0, got), size, file);
    const tensors = header.entries
      .map((e): TensorSummary => {
        const dtype = DTYPE_OF[e.dtype];
        const elements = e.shape.reduce((a, b) => a * b, 1);
        return { name: e.name, dtype, shape: [...e.shape], elements, bytes: elements * BYTES_PER_ELEMENT[dtype] };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      group,
      file,
      tensors,
      elements: tensors.reduce((s, t) => s + t.elements, 0),
      tensorBytes: tensors.reduce((s, t) => s + t.bytes, 0),
      metadata: { ...header.metadata },
    };
  } finally {
    await handle.close();
  }
}

function problemOf(file: string, error: unknown): CheckpointProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return { file, kind: "missing", message: messages.fileMissing(file) };
  if (error instanceof NotRegularFileError) return { file, kind: "special", message: messages.fileSpecial(file, error.kind) };
  const detail = error instanceof Error ? error.message : String(error);
  return { file, kind: "invalid", message: detail.startsWith(file) ? detail : `${file}: ${detail}` };
}

export async function readCheckpointContents(files: CheckpointFiles): Promise<CheckpointContents> {
  const scan = await files.scan();
  if (scan !== undefined && scan.problems.some((p) => p.file === files.name)) {
    // The checkpoint itself is a symlink (or not a directory): nothing in it is read.
    return { manifest: undefined, groups: [], state: undefined, problems: scan.problems };
  }
  const { manifest, problems } = await readManifestOf(files);
  problems.push(...(scan?.problems ?? []));
  const groups: GroupContents[] = [];
  // The manifest lists the groups; without it, whatever *.safetensors files are there.
  const names = manifest ? Object.keys(manifest.files) : await files.names().catch(() => [] as string[]);
  for (const file of names) {
    const group = groupOfFile(file);
    if (group === undefined) continue;
    try {
      groups.push(await readGroup(files, file, group));
    } catch (error) {
      problems.push(problemOf(file, error));
      groups.push({ group, file, tensors: [], elements: 0, tensorBytes: 0, metadata: {} });
    }
  }
  let state: CheckpointState | undefined;
  try {
    state = parseState(await files.readSmall(STATE_FILE, MAX_STATE_BYTES));
  } catch (error) {
    problems.push(problemOf(STATE_FILE, error));
  }
  return { manifest, groups, state, problems };
}
