/**
 * Temp directories for the checkpoint tests, and a canary: a user's file outside the run
 * directory that nothing may read, change or delete (symlinks in hostile run directories point at it).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

export async function makeTempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `nbresume-${label}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * A file outside the run directory that nothing may read, change or delete: `check()` throws if
 * it is gone or changed. Symlinks in hostile run directories point at it.
 */
export async function makeCanary(label: string): Promise<{ dir: string; file: string; check(): Promise<void> }> {
  const dir = await makeTempDir(`canary-${label}`);
  const file = path.join(dir, "precious.txt");
  const content = `a user's file that nbresume must never read or delete (${label})\n`;
  await writeFile(file, content);
  const before = await stat(file);
  return {
    dir,
    file,
    async check(): Promise<void> {
      const now = await stat(file).catch(() => undefined);
      if (now === undefined) throw new Error(`the canary ${file} was deleted`);
      if ((await readFile(file, "utf8")) !== content) throw new Error(`the canary ${file} was changed`);
      // Access time is not reliable (relatime); size and mtime must not move.
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) throw new Error(`the canary ${file} was written to`);
    },
  };
}
