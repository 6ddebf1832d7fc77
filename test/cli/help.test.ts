/**
 * `nbresume --help` says what nbresume is in its first line and lists every registered command
 * (all-commands.ts); a repeatable option says so in its command's help; and README.md's CLI list
 * and Layout say what the code has, so neither drifts when a command or a source folder is added.
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ALL_COMMANDS } from "../../src/cli/commands/all-commands.js";
import { TAGLINE } from "../../src/cli/help.js";
import { ROOT } from "./compiled-cli.js";
import { cli } from "./in-process-cli.js";

/** The fenced block that follows `heading` in README.md. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README.md has a "${heading}" section`);
  const block = /```[^\n]*\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, `a code block under "${heading}"`);
  return block[1]!;
}

describe("nbresume --help and the README's CLI list and layout", () => {
  it("opens with one line saying what nbresume is, then lists every registered command with its summary", async () => {
    const { code, stdout } = await cli("--help");
    assert.equal(code, 0);
    const lines = stdout.split("\n");
    assert.equal(lines[0], TAGLINE);
    assert.ok(TAGLINE.length <= 110 && !TAGLINE.includes("\n"), "one terminal line");
    for (const command of ["run", "kernel", "log", "rollback"])
      assert.ok(
        ALL_COMMANDS.some((c) => c.name === command),
        `${command} is registered`,
      );
    for (const command of ALL_COMMANDS) {
      const line = lines.find((l) => l.startsWith(`  ${command.name} ${command.args} `));
      assert.ok(line, `--help lists ${command.name}:\n${stdout}`);
      assert.ok(line.endsWith(command.summary), line);
    }
    // The same list, for a command line with no command at all.
    const none = await cli();
    assert.equal(none.code, 2);
    for (const command of ALL_COMMANDS) assert.match(none.stderr, new RegExp(`^  ${command.name} `, "m"));
  });

  it("says in a command's help which option may be given more than once", async () => {
    const { code, stdout } = await cli("run", "--help");
    assert.equal(code, 0);
    assert.match(stdout, /^ {2}--param key=value +a parameter \(key=value arguments after NOTEBOOK are parameters too\); may be given more than once$/m);
    assert.doesNotMatch(stdout, /--out FILE .*more than once/);
  });

  it("README's CLI list names every registered command, as `nbresume NAME`", () => {
    const block = readmeBlock("## The CLI");
    for (const command of ALL_COMMANDS) assert.match(block, new RegExp(`^nbresume ${command.name}[ |]`, "m"), `README's CLI list has nbresume ${command.name}`);
  });

  it("README's Layout names every folder in src/, the supervisor, the run and kernel commands and the signal files", () => {
    const block = readmeBlock("## Layout");
    const folders = readdirSync(path.join(ROOT, "src"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    assert.ok(folders.includes("supervisor"));
    for (const folder of folders) assert.match(block, new RegExp(`^src/${folder}/ `, "m"), `Layout lists src/${folder}/`);
    for (const file of ["run.ts", "kernel.ts", "all-commands.ts", "signal-hub.ts", "interrupt.ts"]) assert.ok(block.includes(file), `Layout names ${file}`);
  });
});
