/**
 * The run's record on disk, beside the checkpoints: `DIR/metrics.jsonl`, one JSON line per step —
 *
 *   {"step":120,"epoch":0,"loss":0.512,"smoothed_loss":0.547,"lr":0.0029,"grad_norm":1.8,
 *    "time":"2026-12-01T10:00:00.000Z","val_loss":0.49,"val_accuracy":0.86}
 *
 * (val_* on the steps that evaluated; "skipped":"loss"|"gradient" on a step the divergence guard
 * skipped). Lines are kept in memory and appended, then fsync'd, each time a checkpoint is
 * requested — before the checkpoint can commit, so the file always reaches at least the newest
 * checkpoint's step. On resume it is truncated back to the resumed step (cleanly: a line torn by a
 * crash goes too), so a rerun never writes a step twice or leaves one out. Never pruned: it
 * outlives the checkpoints it was written beside. A fresh start in a directory whose checkpoints
 * are gone keeps the old file as metrics-before-<time>.jsonl. DIR may be s3://bucket/prefix: the
 * file is then an object of the run's storage, written whole (metrics-file.ts).
 */
import type { JsonValue } from "../engine/nn/json.js";
import { metricsFileAt, type MetricsFile } from "./metrics-file.js";

export const METRICS_FILE = "metrics.jsonl";

export type MetricsLine = Readonly<Record<string, JsonValue>>;

function json(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** "20261206T165000Z": the time in the name of a record kept aside (metrics-before-<stamp>.jsonl). */
export function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** The lines of a metrics.jsonl, parsed; stops at the first torn or malformed line. */
export interface ParsedMetrics {
  readonly lines: MetricsLine[];
  /** Byte offset after each line kept (lines[i] ends at ends[i]). */
  readonly ends: number[];
  /** Whether anything after the last good line was dropped (a torn line, garbage). */
  readonly torn: boolean;
}

export function parseMetrics(bytes: Uint8Array): ParsedMetrics {
  const lines: MetricsLine[] = [];
  const ends: number[] = [];
  let start = 0;
  const text = new TextDecoder();
  while (start < bytes.length) {
    const nl = bytes.indexOf(10, start);
    if (nl < 0) return { lines, ends, torn: true };
    let value: unknown;
    try {
      value = JSON.parse(text.decode(bytes.subarray(start, nl)));
    } catch {
      return { lines, ends, torn: true };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Number.isSafeInteger((value as { step?: unknown }).step))
      return { lines, ends, torn: true };
    lines.push(value as MetricsLine);
    ends.push(nl + 1);
    start = nl + 1;
  }
  return { lines, ends, torn: false };
}

/** What opening the log for a run found. */
export interface OpenedMetrics {
  readonly log: MetricsLog;
  /** Every step's training loss from step 1 on (NaN where not finite), when the file has every step up to the resumed one. */
  readonly losses: number[] | undefined;
  /** Something to say: steps missing, an old file kept aside. */
  readonly note: MetricsNote | undefined;
}

export type MetricsNote = { readonly kind: "missing"; readonly has: number; readonly resumed: number } | { readonly kind: "kept-aside"; readonly file: string };

export class MetricsLog {
  private pending: Record<string, JsonValue>[] = [];
  /** The newest step in the file or pending (lines are appended in step order). */
  private last: number;
  private readonly losses: number[];

  private constructor(
    private readonly store: MetricsFile,
    last: number,
    losses: number[] | undefined,
  ) {
    this.last = last;
    this.losses = losses ?? [];
    this.complete = losses !== undefined;
  }

  /** Whether `losses` holds every step from step 1 (the chart draws from it then). */
  complete: boolean;

  /** Its path, or URL in a bucket. */
  get file(): string {
    return this.store.location;
  }

  /**
   * Opens DIR/metrics.jsonl for a run that starts at `step` (0: from scratch): lines after `step`
   * (and a torn last line) are cut off, durably, before the first new line is written.
   */
  static async open(dir: string, step: number): Promise<OpenedMetrics> {
    const file = metricsFileAt(dir, METRICS_FILE);
    const bytes = await file.read();
    if (bytes === undefined || bytes.length === 0) {
      return {
        log: new MetricsLog(file, step, step === 0 ? [] : undefined),
        losses: step === 0 ? [] : undefined,
        note: step === 0 ? undefined : { kind: "missing", has: 0, resumed: step },
      };
    }
    if (step === 0) {
      // An older run's record with no checkpoint left to go with it: kept, not overwritten.
      const aside = await file.keepAs(`metrics-before-${stamp(new Date())}.jsonl`);
      return { log: new MetricsLog(file, 0, []), losses: [], note: { kind: "kept-aside", file: aside } };
    }
    const parsed = parseMetrics(bytes);
    let keep = 0;
    while (keep < parsed.lines.length && (parsed.lines[keep]!.step as number) <= step) keep++;
    const end = keep === 0 ? 0 : parsed.ends[keep - 1]!;
    if (end < bytes.length) await file.truncate(end);
    const kept = parsed.lines.slice(0, keep);
    const complete = kept.length === step && kept.every((l, i) => l.step === i + 1);
    const losses = complete ? kept.map((l) => (typeof l.loss === "number" ? l.loss : Number.NaN)) : undefined;
    const has = kept.length === 0 ? 0 : (kept[kept.length - 1]!.step as number);
    return { log: new MetricsLog(file, has, losses), losses, note: complete ? undefined : { kind: "missing", has: kept.length, resumed: step } };
  }

  /** One step's line (buffered until the next flush). */
  record(
    step: number,
    fields: { epoch: number; loss: number; smoothed: number | undefined; lr: number; gradNorm: number | undefined; skipped: string | undefined },
  ): void {
    const line: Record<string, JsonValue> = { step, epoch: fields.epoch, loss: json(fields.loss) };
    if (fields.smoothed !== undefined) line["smoothed_loss"] = json(fields.smoothed);
    line["lr"] = json(fields.lr);
    if (fields.gradNorm !== undefined) line["grad_norm"] = json(fields.gradNorm);
    if (fields.skipped !== undefined) line["skipped"] = fields.skipped;
    line["time"] = new Date().toISOString();
    this.pending.push(line);
    this.last = step;
    if (this.complete && this.losses.length === step - 1) this.losses.push(fields.loss);
    else this.complete = false;
  }

  /** Validation metrics of a step whose line is still buffered (the newest). */
  validation(step: number, metrics: Readonly<Record<string, number>>): void {
    const line = this.pending[this.pending.length - 1];
    if (line === undefined || line["step"] !== step) return;
    for (const [k, v] of Object.entries(metrics)) line[k] = json(v);
  }

  /** Every step's loss from step 1 (undefined when the record is not complete). */
  stepLosses(): readonly number[] | undefined {
    return this.complete ? this.losses : undefined;
  }

  /** Appends the buffered lines and fsyncs: the record reaches the step of the checkpoint being requested. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.map((l) => `${JSON.stringify(l)}\n`).join("");
    await this.store.append(text);
    this.pending = [];
  }

  /** The run went back to `step` (a roll-back): later lines go, from memory and from the file. */
  async truncate(step: number): Promise<void> {
    this.pending = this.pending.filter((l) => (l["step"] as number) <= step);
    if (this.complete) this.losses.length = Math.min(this.losses.length, step);
    const bytes = await this.store.read().catch(() => undefined);
    if (bytes !== undefined) {
      const parsed = parseMetrics(bytes);
      let keep = 0;
      while (keep < parsed.lines.length && (parsed.lines[keep]!.step as number) <= step) keep++;
      const end = keep === 0 ? 0 : parsed.ends[keep - 1]!;
      if (end < bytes.length) await this.store.truncate(end);
    }
    this.last = Math.min(this.last, step);
  }

  /** The newest step recorded. */
  get lastStep(): number {
    return this.last;
  }
}

/** Reads a run's metrics.jsonl (notebooks): DIR a directory or s3://bucket/prefix; `code: "ENOENT"` when there is none. */
export async function readMetricsLog(dir: string): Promise<ParsedMetrics> {
  const file = metricsFileAt(dir, METRICS_FILE);
  const bytes = await file.read();
  if (bytes === undefined) throw Object.assign(new Error(`${file.location} does not exist: the run has not recorded a step yet.`), { code: "ENOENT" });
  return parseMetrics(bytes);
}
