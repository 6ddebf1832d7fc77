import { strict as assert } from "node:assert";
import { readFile, readdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { readSmallFile, replaceFileAtomically, FileTooLargeError } from "../../src/checkpoint/durable-fs.js";
import { errnoError, faultFs } from "./fault-fs.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";

describe("durable fs", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir("durable");
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("replaces a small file atomically: temp file, fsync, rename, fsync of the directory", async () => {
    const file = path.join(dir, "latest");
    await writeFile(file, "old\n");
    const fs = faultFs(() => undefined);
    await replaceFileAtomically(fs, file, new TextEncoder().encode("new\n"));
    assert.equal(await readFile(file, "utf8"), "new\n");
    const ops = fs.calls.map((c) => `${c.op} ${path.basename(c.target)}`);
    const temp = fs.calls.find((c) => c.op === "open")?.target ?? "";
    assert.match(path.basename(temp), /^\.tmp-latest-\d+-[0-9a-f]{8}$/);
    assert.deepEqual(ops, [
      `open ${path.basename(temp)}`,
      `write ${path.basename(temp)}`,
      `sync ${path.basename(temp)}`,
      `close ${path.basename(temp)}`,
      `rename ${path.basename(temp)}`,
      `open ${path.basename(dir)}`,
      `sync ${path.basename(dir)}`,
      `close ${path.basename(dir)}`,
    ]);
  });

  for (const op of ["write", "sync", "rename"] as const) {
    it(`keeps the old content and leaves no temp file when the ${op} fails`, async () => {
      const file = path.join(dir, "latest");
      await writeFile(file, "old\n");
      const fs = faultFs((o, target) => (o === op && target.includes(".tmp-") ? errnoError("EIO", o, target) : undefined));
      await assert.rejects(replaceFileAtomically(fs, file, new TextEncoder().encode("new\n")), /EIO/);
      assert.equal(await readFile(file, "utf8"), "old\n");
      assert.deepEqual(await readdir(dir), ["latest"]);
    });
  }

  it("refuses to read a small file that is larger than allowed, before reading it", async () => {
    await writeFile(path.join(dir, "big"), Buffer.alloc(5000));
    await assert.rejects(
      readSmallFile(
        faultFs(() => undefined),
        path.join(dir, "big"),
        4096,
      ),
      FileTooLargeError,
    );
  });
});
