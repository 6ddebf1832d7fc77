/**
 * A checkpoint being written into a directory: `.tmp-<name>-…` beside the final one, every file
 * written, hashed and fsync'd there, the manifest last, the temp directory fsync'd; then (the lock
 * still ours) one rename is the commit, and an fsync of the root makes it durable. A crash before
 * the rename leaves only the temp directory, removed on the next writable open.
 */
import * as path from "node:path";
import { NbresumeError } from "../../../errors.js";
import { type DurableFs, errnoCode, fsyncDir, tempName, writeNewFileDurably } from "../../durable-fs.js";
import { HashingFileWriter } from "../../file-writer.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../messages.js";
import { MANIFEST_FILE } from "../../naming.js";
import type { FileSink, StagedCheckpoint } from "../storage.js";

export class LocalStagedCheckpoint implements StagedCheckpoint {
  committed = false;
  /** What is being worked on, for the message of a failure. */
  current: string;
  private readonly final: string;

  private constructor(
    private readonly fs: DurableFs,
    private readonly root: string,
    readonly name: string,
    private readonly temp: string,
    /** A damaged checkpoint of the same name is there: moved aside at the commit, put back if it fails. */
    private readonly replacing: boolean,
  ) {
    this.current = temp;
    this.final = path.join(root, name);
  }

  static create(fs: DurableFs, root: string, name: string, replacing: boolean): LocalStagedCheckpoint {
    return new LocalStagedCheckpoint(fs, root, name, path.join(root, tempName(name)), replacing);
  }

  async begin(): Promise<void> {
    this.current = this.temp;
    await this.fs.mkdir(this.temp);
  }

  async createFile(file: string): Promise<FileSink> {
    this.current = path.join(this.temp, file);
    return HashingFileWriter.create(this.fs, this.current);
  }

  async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    this.current = path.join(this.temp, file);
    await writeNewFileDurably(this.fs, this.current, bytes);
  }

  async commit(manifest: Uint8Array, assertHeld: () => Promise<void>): Promise<void> {
    await this.writeFile(MANIFEST_FILE, manifest);
    this.current = this.temp;
    await fsyncDir(this.fs, this.temp);
    // Still ours? Then the rename is the commit.
    await assertHeld();
    let aside: string | undefined;
    if (this.replacing) {
      aside = path.join(this.root, tempName(`replaced-${this.name}`));
      await this.fs.rename(this.final, aside);
    }
    this.current = this.final;
    try {
      await this.fs.rename(this.temp, this.final);
    } catch (error) {
      if (aside !== undefined) await this.fs.rename(aside, this.final).catch(() => undefined); // put the damaged one back
      throw error;
    }
    this.committed = true;
    try {
      await fsyncDir(this.fs, this.root);
    } catch (error) {
      throw new NbresumeError(CheckpointErrorCode.WRITE_FAILED, messages.commitNotDurable(this.final, errnoCode(error) ?? String(error)), {
        where: this.final,
        cause: error,
      });
    }
    if (aside !== undefined) await this.fs.rm(aside).catch(() => undefined); // else removed on the next open
  }

  abort(): Promise<boolean> {
    return this.fs.rm(this.temp).then(
      () => true,
      () => false,
    );
  }
}
