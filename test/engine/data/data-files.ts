/** Where the data tests find their fixture files, and a fresh temp directory per test to write more into. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "fixtures");

/** A fresh directory for each test of the enclosing describe(), removed after it. */
export function useTempDir(prefix: string): { readonly path: string; file(name: string, contents: string | Uint8Array): Promise<string> } {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `nbresume-${prefix}-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get path() {
      return dir;
    },
    async file(name: string, contents: string | Uint8Array): Promise<string> {
      const p = join(dir, name);
      await writeFile(p, contents);
      return p;
    },
  };
}
