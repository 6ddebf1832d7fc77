import { strict as assert } from "node:assert";
import { Writable } from "node:stream";
import { runCli } from "../../src/cli/cli.js";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";

/** A stdout that says it is (or is not) a terminal and keeps what is written. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { isTTY, text: () => chunks.join("") });
}

describe("CLI output colour", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir("cli-color");
    const store = await CheckpointStore.open(dir);
    await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
    await store.close();
  });
  after(async () => {
    await removeDir(dir);
  });

  it("colours only when stdout is a terminal and NO_COLOR is not set", async () => {
    const run = async (isTTY: boolean, env: NodeJS.ProcessEnv) => {
      const stdout = sink(isTTY);
      assert.equal(await runCli(["verify", dir], { stdout, stderr: sink(false), env }), 0);
      return stdout.text();
    };
    /* eslint-disable no-control-regex -- these look for ANSI escape sequences, which start with ESC */
    assert.match(await run(true, {}), /\x1b\[32mok\s*\x1b\[39m/);
    assert.doesNotMatch(await run(true, { NO_COLOR: "1" }), /\x1b\[/);
    assert.doesNotMatch(await run(false, {}), /\x1b\[/);
    /* eslint-enable no-control-regex */
  });
});
