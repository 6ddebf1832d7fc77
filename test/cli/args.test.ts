import { strict as assert } from "node:assert";
import { countOption, isRepeatable, optionValues, parseArgs, repeatable } from "../../src/cli/args.js";
import type { OptionSpec } from "../../src/cli/command.js";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { UsageError } from "../../src/cli/usage-error.js";

const SPECS: OptionSpec[] = [
  { name: "yes", type: "boolean", description: "" },
  { name: "keep-rolling", type: "string", value: "N", description: "" },
  { name: "help", type: "boolean", description: "" },
];

describe("CLI argument parser", () => {
  it("reads flags, --name value, --name=value, -h and positionals in any order, and -- ends options", () => {
    const parsed = parseArgs(["runs/a", "--keep-rolling", "3", "--yes", "-h", "--", "--not-a-flag"], SPECS, "prune");
    assert.deepEqual(parsed, { positionals: ["runs/a", "--not-a-flag"], options: { "keep-rolling": "3", yes: true, help: true } });
    assert.deepEqual(parseArgs(["--keep-rolling=0", "x"], SPECS, "prune").options, { "keep-rolling": "0" });
  });

  it("throws a UsageError for the command on an unknown option, a missing value, a repeated option or a value for a flag", () => {
    const fails = (argv: string[], message: string) =>
      assert.throws(
        () => parseArgs(argv, SPECS, "prune"),
        (e: unknown) => e instanceof UsageError && e.command === "prune" && e.message === message,
      );
    fails(["--keep-rolls", "3"], messages.unknownOption("--keep-rolls", "prune", ["yes", "keep-rolling", "help"]));
    fails(["--keep-rolling"], messages.optionNeedsValue("keep-rolling", "N"));
    fails(["--keep-rolling", "--yes"], messages.optionNeedsValue("keep-rolling", "N"));
    fails(["--keep-rolling", "1", "--keep-rolling", "2"], messages.optionRepeated("keep-rolling"));
    fails(["--yes=no"], messages.flagTakesNoValue("yes"));
    fails(["-x"], messages.unknownOption("-x", "prune", ["yes", "keep-rolling", "help"]));
  });

  it("keeps every value of a repeatable option in order, in any of its spellings, as the option's value", () => {
    const specs = [...SPECS, repeatable({ name: "param", type: "string", value: "key=value", description: "" })];
    assert.ok(isRepeatable(specs.at(-1)!) && !isRepeatable(SPECS[1]!));
    const parsed = parseArgs(["nb.ipynb", "--param", "a=1", "--yes", "--param=b=2", "--param", "a=3", "c=4"], specs, "run");
    assert.deepEqual(optionValues(parsed.options, "param"), ["a=1", "b=2", "a=3"]);
    assert.deepEqual(parsed.positionals, ["nb.ipynb", "c=4"]);
    assert.deepEqual(parsed.options["param"], ["a=1", "b=2", "a=3"]);
    assert.deepEqual(optionValues(parseArgs(["nb.ipynb"], specs, "run").options, "param"), []);
    // An option given once reads the same way, repeatable or not.
    assert.deepEqual(optionValues(parseArgs(["--keep-rolling", "3"], specs, "prune").options, "keep-rolling"), ["3"]);
    // Still a value each time: a repeated --param followed by a flag is a missing value.
    assert.throws(() => parseArgs(["--param", "a=1", "--param", "--yes"], specs, "run"), { message: messages.optionNeedsValue("param", "key=value") });
  });

  it("suggests the option a typo was meant to be", () => {
    assert.match(messages.unknownOption("--keep-rolls", "prune", ["yes", "keep-rolling"]), /Did you mean '--keep-rolling'\?$/);
    assert.match(messages.unknownCommand("verfy", ["list", "verify"]), /Did you mean 'verify'\?$/);
    assert.equal(messages.unknownCommand("zzz", ["list", "verify"]), "unknown command 'zzz'.");
  });

  it("accepts whole numbers ≥ 0 as counts and nothing else", () => {
    assert.equal(countOption({ n: "12" }, "n", "prune"), 12);
    assert.equal(countOption({}, "n", "prune"), undefined);
    for (const bad of ["-1", "1.5", "3x", "", "1e3"]) {
      assert.throws(() => countOption({ n: bad }, "n", "prune"), { message: messages.notACount("n", bad) });
    }
  });
});
