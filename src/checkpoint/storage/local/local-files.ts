/**
 * A checkpoint directory's files for reading, on a local filesystem: as durable-fs.ts and
 * dir-scan.ts read a run directory (untrusted): O_NOFOLLOW, O_NONBLOCK, an fstat before a byte is
 * read, a bounded lstat walk.
 */
import * as path from "node:path";
import { scanCheckpointDir, type DirScan } from "../../dir-scan.js";
import { type DurableFs, type HandleStatLike, openRegularFile, readSmallFile } from "../../durable-fs.js";
import type { CheckpointFiles, OpenedFile } from "../storage.js";

/**
 * A data file at least this large whose allocated blocks cover less than 1/8 of its size is mostly
 * holes (our writer writes every byte): it is hashed before anything is allocated from its header.
 */
const SPARSE_CHECK_BYTES = 64 * 1024 * 1024;

/** Whether a file's allocated blocks cover far less than its size (mostly holes). */
function looksSparse(stat: HandleStatLike): boolean {
  return stat.size >= SPARSE_CHECK_BYTES && stat.blocks !== undefined && stat.blocks * 512 < stat.size / 8;
}

export class LocalCheckpointFiles implements CheckpointFiles {
  readonly name: string;

  constructor(
    private readonly fs: DurableFs,
    readonly location: string,
  ) {
    this.name = path.basename(location);
  }

  exists(): Promise<boolean> {
    return this.fs.lstat(this.location).then(
      () => true,
      () => false,
    );
  }

  scan(): Promise<DirScan | undefined> {
    return scanCheckpointDir(this.fs, this.location);
  }

  names(): Promise<string[]> {
    return this.fs.readdir(this.location);
  }

  readSmall(file: string, maxBytes: number): Promise<Uint8Array> {
    return readSmallFile(this.fs, path.join(this.location, file), maxBytes);
  }

  async open(file: string): Promise<OpenedFile> {
    const { handle, stat } = await openRegularFile(this.fs, path.join(this.location, file));
    return {
      size: stat.size,
      sparse: looksSparse(stat),
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      close: () => handle.close(),
    };
  }
}
