/**
 * Progress snapshots as text: one terminal line for `\r` updates, and HTML / markdown for the
 * notebook display above the loss chart and sample grid. Pure functions of their inputs.
 */
import type { TextBundle } from "../render/mime-bundle.js";
import { formatCount, formatDuration, formatLoss, formatPercent, formatRate } from "../shared/format.js";
import type { ProgressSnapshot } from "./progress.js";
import { progressMessages } from "./progress-messages.js";

/** What the run knows besides the snapshot. Every field is optional. */
export interface ProgressContext {
  /** Run name, e.g. "mnist-diffusion". */
  readonly title?: string;
  /** What is happening now: "resumed from step 12,000", "saving checkpoint…", "interrupted". */
  readonly status?: string;
  readonly epoch?: number;
  readonly validationLoss?: number;
  /** The newest committed checkpoint. */
  readonly lastCheckpoint?: { readonly step: number; readonly kind: string };
  /** Extra lines (disk usage, events) for the notebook display; the terminal line omits them. */
  readonly notes?: readonly string[];
  /** Problems to notice (checkpoint saves failing), shown in red in the notebook display. */
  readonly warnings?: readonly string[];
}

export interface ProgressLineOptions extends ProgressContext {
  /** Terminal columns; the line is at most width − 1 long so the cursor never wraps. Default 80. */
  readonly width?: number;
  /** Draw the bar with "#" and "-" instead of Unicode blocks. */
  readonly ascii?: boolean;
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"] as const;
const MIN_BAR = 10;
const MAX_BAR = 40;

/** A bar of exactly `width` characters, filled to `fraction` (in eighths with Unicode blocks). */
export function progressBar(fraction: number, width: number, ascii = false): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  if (ascii) {
    const full = Math.floor(f * width);
    return "#".repeat(full) + "-".repeat(width - full);
  }
  const eighths = Math.floor(f * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = full < width ? (EIGHTHS[eighths % 8] ?? "") : "";
  return "█".repeat(full) + partial + " ".repeat(width - full - (partial === "" ? 0 : 1));
}

function lossText(s: ProgressSnapshot): string | undefined {
  if (s.loss !== undefined && !Number.isFinite(s.loss)) return `loss ${formatLoss(s.loss)}!`;
  const value = s.smoothedLoss ?? s.loss;
  return value === undefined ? undefined : `loss ${formatLoss(value)}`;
}

function etaText(s: ProgressSnapshot): string {
  return s.done ? "done" : `ETA ${formatDuration(s.etaMs ?? NaN)}`;
}

/**
 * One line for a terminal progress bar, e.g.
 * `step 12,000/50,000 ▕████▎           ▏ 24% · 35.2 it/s · ETA 17m53s · loss 0.0330`.
 * Less important fields (title, elapsed, epoch, status, loss, rate, ETA) are dropped, in that
 * order, until the bar keeps at least 10 columns. Write it as `"\r" + line + "\x1b[K"`.
 */
export function formatProgressLine(s: ProgressSnapshot, options: ProgressLineOptions = {}): string {
  const width = options.width ?? 80;
  if (!Number.isInteger(width) || width < 20) throw new RangeError(progressMessages.badWidth(width));
  const max = width - 1;
  const counter = `${formatCount(s.step)}/${formatCount(s.total)}`;
  // [text, priority]: a higher priority survives longer when the line is short of room.
  const head: [string, number][] = [];
  if (options.title) head.push([options.title, 0]);
  const tail: [string, number][] = [
    [formatPercent(s.fraction), 9],
    [formatRate(s.stepsPerSecond), 6],
    [etaText(s), 7],
  ];
  const loss = lossText(s);
  if (loss !== undefined) tail.push([loss, 5]);
  if (options.status) tail.push([options.status, 4]);
  if (options.epoch !== undefined) tail.push([`epoch ${options.epoch}`, 2]);
  tail.push([formatDuration(s.elapsedMs), 1]);

  const compose = (minPriority: number, barWidth: number): string => {
    const before = head
      .filter(([, p]) => p >= minPriority)
      .map(([t]) => `${t} `)
      .join("");
    const [pct, ...rest] = tail.filter(([, p]) => p >= minPriority).map(([t]) => t);
    const bar = barWidth > 0 ? ` ${options.ascii ? "[" : "▕"}${progressBar(s.fraction, barWidth, options.ascii)}${options.ascii ? "]" : "▏"}` : "";
    const after = [pct === undefined ? "" : ` ${pct}`, ...rest.map((t) => ` · ${t}`)].join("");
    return `${before}step ${counter}${bar}${after}`;
  };
  for (const minPriority of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    const room = max - [...compose(minPriority, 0)].length - 3; // " ▕" + "▏"
    if (room >= MIN_BAR) return compose(minPriority, Math.min(MAX_BAR, room));
  }
  // Not even the counter and a short bar fit: the counter alone, cut to the width.
  return `step ${counter}`.slice(0, max);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The display's content as labelled parts, shared by the HTML, markdown and plain forms. */
interface ProgressParts {
  readonly heading: string | undefined;
  readonly position: string;
  readonly timing: string;
  readonly losses: string | undefined;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

function parts(s: ProgressSnapshot, c: ProgressContext): ProgressParts {
  const heading = [c.title, c.status].filter((t): t is string => t !== undefined && t !== "").join(" · ");
  const resumed = s.startStep > 0 ? ` · resumed at ${formatCount(s.startStep)}` : "";
  const position = `step ${formatCount(s.step)} / ${formatCount(s.total)} (${formatPercent(s.fraction)})${resumed}`;
  const timing = [
    formatRate(s.stepsPerSecond),
    etaText(s),
    `elapsed ${formatDuration(s.elapsedMs)}`,
    ...(c.epoch === undefined ? [] : [`epoch ${c.epoch}`]),
  ].join(" · ");
  const lossParts: string[] = [];
  if (s.loss !== undefined) lossParts.push(`loss ${formatLoss(s.loss)}`);
  if (s.smoothedLoss !== undefined) lossParts.push(`smoothed ${formatLoss(s.smoothedLoss)}`);
  if (c.validationLoss !== undefined) lossParts.push(`validation ${formatLoss(c.validationLoss)}`);
  if (c.lastCheckpoint !== undefined) {
    lossParts.push(`checkpoint step ${formatCount(c.lastCheckpoint.step)} (${c.lastCheckpoint.kind})`);
  }
  const warnings = [
    ...(s.nonFiniteLosses > 0 ? [`${s.nonFiniteLosses} non-finite loss${s.nonFiniteLosses === 1 ? "" : "es"} (NaN/inf) so far`] : []),
    ...(c.warnings ?? []),
  ];
  return {
    heading: heading === "" ? undefined : heading,
    position,
    timing,
    losses: lossParts.length === 0 ? undefined : lossParts.join(" · "),
    warnings,
    notes: c.notes ?? [],
  };
}

/**
 * A compact HTML block for the notebook display: a progress element with the step count, then
 * rate/ETA/elapsed, losses and the last checkpoint, warnings in red, then notes. Inline styles
 * only, so it looks the same in JupyterLab, classic Notebook and VS Code.
 */
export function formatProgressHtml(s: ProgressSnapshot, context: ProgressContext = {}): string {
  const p = parts(s, context);
  const line = (html: string, style = ""): string => `<div${style ? ` style="${style}"` : ""}>${html}</div>`;
  const rows: string[] = [];
  if (p.heading !== undefined) rows.push(line(`<b>${escapeHtml(p.heading)}</b>`));
  rows.push(line(`<progress value="${s.fraction.toFixed(4)}" max="1" style="width:16em;vertical-align:middle"></progress> ` + escapeHtml(p.position)));
  rows.push(line(escapeHtml(p.timing)));
  if (p.losses !== undefined) rows.push(line(escapeHtml(p.losses)));
  for (const w of p.warnings) rows.push(line(escapeHtml(w), "color:#c00000"));
  for (const n of p.notes) rows.push(line(escapeHtml(n), "color:#666666"));
  return `<div class="nbresume-progress" style="font-family:var(--jp-code-font-family,monospace);` + `font-size:12px;line-height:1.6">${rows.join("")}</div>`;
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>|#])/g, "\\$1");
}

/** The same content as markdown lines (for front ends that show markdown but not HTML). */
export function formatProgressMarkdown(s: ProgressSnapshot, context: ProgressContext = {}): string {
  const p = parts(s, context);
  const lines: string[] = [];
  if (p.heading !== undefined) lines.push(`**${escapeMarkdown(p.heading)}**`);
  lines.push(`\`${progressBar(s.fraction, 20, true)}\` ${escapeMarkdown(p.position)}`);
  lines.push(escapeMarkdown(p.timing));
  if (p.losses !== undefined) lines.push(escapeMarkdown(p.losses));
  for (const w of p.warnings) lines.push(`**${escapeMarkdown(w)}**`);
  for (const n of p.notes) lines.push(`_${escapeMarkdown(n)}_`);
  // Two trailing spaces make each line a hard break in CommonMark.
  return lines.join("  \n");
}

/** Plain multi-line text with the same content (the text/plain of the notebook display). */
export function formatProgressText(s: ProgressSnapshot, context: ProgressContext = {}): string {
  const p = parts(s, context);
  return [p.heading, p.position, p.timing, p.losses, ...p.warnings, ...p.notes].filter((l): l is string => l !== undefined).join("\n");
}

/** text/plain + text/html + text/markdown of one progress display. */
export function progressBundle(s: ProgressSnapshot, context: ProgressContext = {}): TextBundle {
  return {
    "text/plain": formatProgressText(s, context),
    "text/html": formatProgressHtml(s, context),
    "text/markdown": formatProgressMarkdown(s, context),
  };
}
