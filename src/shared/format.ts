/**
 * Number formatting shared by progress output, chart and grid captions, and messages:
 * bytes, durations, counts, rates and loss values, each short enough for an 80-column line.
 */

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** Binary units with 3 significant digits: "512 B", "1.50 KiB", "12.3 MiB", "256 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${sign}${Math.round(value)} B`;
  // 3 significant digits cannot show 1000–1023 ("1.00e+3"): those read as 0.977–1.00 of the next unit.
  if (value >= 999.5 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sign}${value.toPrecision(3)} ${BYTE_UNITS[unit] ?? "B"}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Compact durations: "850ms", "4.2s", "42s", "4m05s", "2h03m", "3d04h". Rounds down at each
 * unit, so "4m05s" means at least 4 minutes 5 seconds. Non-finite or negative → "?".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${(Math.floor(seconds * 10) / 10).toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const totalSeconds = Math.floor(seconds);
  const s = totalSeconds % 60;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m${pad2(s)}s`;
  const m = totalMinutes % 60;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours}h${pad2(m)}m`;
  return `${Math.floor(totalHours / 24)}d${pad2(totalHours % 24)}h`;
}

/** Integers with thousands separators: 12000 → "12,000". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Iteration rate as people read it: "35.2 it/s", "1,250 it/s"; below one step per second the
 * inverse, "2.5 s/it" (like tqdm). Undefined (not yet measured) → "? it/s".
 */
export function formatRate(stepsPerSecond: number | undefined): string {
  if (stepsPerSecond === undefined || !Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return "? it/s";
  if (stepsPerSecond < 1) {
    const secondsPerStep = 1 / stepsPerSecond;
    return `${secondsPerStep < 10 ? secondsPerStep.toFixed(1) : formatCount(secondsPerStep)} s/it`;
  }
  if (stepsPerSecond < 100) return `${stepsPerSecond.toFixed(1)} it/s`;
  return `${formatCount(stepsPerSecond)} it/s`;
}

/**
 * Loss values with 4 significant digits and no trailing zeros: 0.03125 → "0.03125",
 * 2.5 → "2.5", 1234.5 → "1235"; below 0.001 or from 10,000 up in exponent form: 2.1e-5 → "2.10e-5".
 */
export function formatLoss(loss: number | undefined): string {
  if (loss === undefined) return "?";
  if (Number.isNaN(loss)) return "NaN";
  if (!Number.isFinite(loss)) return loss > 0 ? "inf" : "-inf";
  if (loss === 0) return "0";
  const abs = Math.abs(loss);
  if (abs >= 1e4 || abs < 1e-3) return loss.toExponential(2).replace("e+", "e");
  const text = loss.toPrecision(4);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** A fraction as a whole percentage, clamped to 0–100: 0.4567 → "46%". */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return "?%";
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}
