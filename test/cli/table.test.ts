import { strict as assert } from "node:assert";
import { formatAge } from "../../src/cli/age.js";
import { formatTable } from "../../src/cli/table.js";

describe("CLI text layout", () => {
  it("aligns columns (numbers to the right), counts '→' and '…' as one column, and leaves no trailing spaces", () => {
    const lines = formatTable(
      [{ header: "NAME" }, { header: "SIZE", align: "right" }, { header: "NOTE" }],
      [
        ["a", "1.5 KiB", "x → y"],
        ["longer…", "12 B", ""],
      ],
    );
    assert.deepEqual(lines, ["  NAME        SIZE  NOTE", "  a        1.5 KiB  x → y", "  longer…     12 B"]);
  });

  it("styles cells after padding so colour codes do not shift columns", () => {
    const lines = formatTable([{ header: "A" }, { header: "B" }], [["xx", "y"]], { style: (t, _r, c) => (c === 0 ? `<${t}>` : t), indent: 0 });
    assert.deepEqual(lines, ["A   B", "<xx>  y"]);
  });

  it("says how long ago a checkpoint was written the way people say it", () => {
    const now = Date.parse("2025-01-10T12:00:00Z");
    const ago = (seconds: number) => formatAge(new Date(now - seconds * 1000).toISOString(), now);
    assert.equal(ago(3), "just now");
    assert.equal(ago(42), "42 s ago");
    assert.equal(ago(3 * 60 + 59), "3 min ago");
    assert.equal(ago(5 * 3600), "5 h ago");
    assert.equal(ago(4 * 86400 + 100), "4 days ago");
    assert.equal(ago(-3600), "in the future");
    assert.equal(formatAge(undefined, now), "?");
  });
});
