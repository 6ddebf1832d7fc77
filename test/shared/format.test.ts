import { strict as assert } from "node:assert";
import { formatBytes, formatCount, formatDuration, formatLoss, formatPercent, formatRate } from "../../src/shared/format.js";

describe("shared/format", () => {
  it("formats bytes in binary units with 3 significant digits", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.50 KiB");
    assert.equal(formatBytes(256 * 1024 * 1024), "256 MiB");
    assert.equal(formatBytes(12.34 * 1024 * 1024), "12.3 MiB");
    assert.equal(formatBytes(1.1 * 1024 ** 3), "1.10 GiB");
    assert.equal(formatBytes(1024 * 1024 - 1), "1.00 MiB", "1023.999 KiB moves up a unit, not 1.02e+3 KiB");
    assert.equal(formatBytes(1000 * 1024), "0.977 MiB");
    assert.equal(formatBytes(1000), "1000 B");
    assert.equal(formatBytes(-2048), "-2.00 KiB");
  });

  it("formats durations compactly, rounding down at each unit", () => {
    assert.equal(formatDuration(0), "0ms");
    assert.equal(formatDuration(850), "850ms");
    assert.equal(formatDuration(4250), "4.2s");
    assert.equal(formatDuration(42_900), "42s");
    assert.equal(formatDuration(245_000), "4m05s");
    assert.equal(formatDuration(2 * 3600_000 + 3 * 60_000 + 59_000), "2h03m");
    assert.equal(formatDuration(3 * 86400_000 + 4 * 3600_000), "3d04h");
    assert.equal(formatDuration(NaN), "?");
    assert.equal(formatDuration(-1), "?");
  });

  it("formats counts with thousands separators", () => {
    assert.equal(formatCount(0), "0");
    assert.equal(formatCount(999), "999");
    assert.equal(formatCount(12000), "12,000");
    assert.equal(formatCount(1234567), "1,234,567");
  });

  it("formats rates as it/s, or s/it below one step per second", () => {
    assert.equal(formatRate(undefined), "? it/s");
    assert.equal(formatRate(35.24), "35.2 it/s");
    assert.equal(formatRate(1250.4), "1,250 it/s");
    assert.equal(formatRate(0.4), "2.5 s/it");
    assert.equal(formatRate(0.01), "100 s/it");
  });

  it("formats losses with 4 significant digits, exponents for very small or large ones", () => {
    assert.equal(formatLoss(0.03125), "0.03125");
    assert.equal(formatLoss(2.5), "2.5");
    assert.equal(formatLoss(10), "10");
    assert.equal(formatLoss(1234.5), "1235");
    assert.equal(formatLoss(0.000021), "2.10e-5");
    assert.equal(formatLoss(123456), "1.23e5");
    assert.equal(formatLoss(0), "0");
    assert.equal(formatLoss(NaN), "NaN");
    assert.equal(formatLoss(-Infinity), "-inf");
    assert.equal(formatLoss(undefined), "?");
  });

  it("formats fractions as clamped whole percentages", () => {
    assert.equal(formatPercent(0.4567), "46%");
    assert.equal(formatPercent(1.2), "100%");
    assert.equal(formatPercent(-0.1), "0%");
  });
});
