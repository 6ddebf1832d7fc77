/**
 * The run's live view: ONE display updated in place — progress (step, rate, smoothed loss, ETA),
 * status, notes (when the next checkpoint is due; a mirror's uploads), and in a notebook the loss chart and the newest
 * preview picture. The smoothed loss in the text is the chart's smoothed line at the same step:
 * one number (smoothed-loss.ts). Redrawn at most
 * every second in a notebook (new pictures go over the wire each time), four times a second in a
 * terminal; the chart (vega → SVG → PNG, ~0.1 s) only after an evaluation or every 15 s.
 */
import type { BackgroundSaveStatus, MirrorStatus } from "../checkpoint/store.js";
import { renderLossChart } from "../render/loss-chart.js";
import type { RenderedImage } from "../render/mime-bundle.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import { runMessages as msg } from "./messages.js";
import type { ProgressContext } from "./progress-format.js";
import { ProgressTracker } from "./progress.js";
import type { RunOutput } from "./run-output.js";
import type { CheckpointRecord } from "./run.js";
import type { ChartData } from "./run-record.js";
import { errorMessage } from "../shared/error-message.js";

const REFRESH_MS_NOTEBOOK = 1000;
const REFRESH_MS_TERMINAL = 250;
/** The loss chart is redrawn after an evaluation, else at most this often. */
const CHART_EVERY_MS = 15_000;

/** What the view shows besides progress, read at each redraw. */
export interface LiveViewFacts {
  readonly epoch: number;
  readonly validation: Readonly<Record<string, number>> | null;
  readonly lastCheckpoint: CheckpointRecord | undefined;
  readonly saves: BackgroundSaveStatus | undefined;
}

/** One line on a mirror's uploads: failing, in flight, behind, or up to date (`ending`: training is over). */
export function mirrorLine(m: MirrorStatus, ending = false): string {
  return msg.mirrorNote(m.target, m.uploading, m.behind, m.lastUploaded?.name, m.consecutiveFailures, m.lastError, ending);
}

export class LiveView {
  /** "starting", "training", "finished", "interrupted"… */
  status = "starting";
  private readonly refreshMs: number;
  private tracker: ProgressTracker | undefined;
  private picture: RenderedImage | undefined;
  private previewHtml: string | undefined;
  private chart: RenderedImage | undefined;
  private chartDirty = true;
  private lastChartAt = Number.NEGATIVE_INFINITY;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  /** The newest disk-usage line: a note in the notebook's live view, a line of its own in a terminal. */
  private diskNote: string | undefined;
  private diskNoteFresh = false;

  constructor(
    private readonly out: RunOutput,
    private readonly name: string,
    private readonly steps: number,
    /** What the loss chart draws (run-record.ts). */
    private readonly chartData: () => ChartData,
    /** The run's one smoothed loss (smoothed-loss.ts): what the text shows, as the chart does. */
    private readonly smoothed: () => number | undefined,
    /** Notes of the moment (when the next checkpoint is due, early stopping's count). */
    private readonly notes: () => readonly string[] = () => [],
  ) {
    this.refreshMs = out.pictures ? REFRESH_MS_NOTEBOOK : REFRESH_MS_TERMINAL;
  }

  /** Training starts (or resumes, or goes back after a roll-back) at `startStep`. */
  begin(startStep: number): void {
    this.tracker = new ProgressTracker({ total: this.steps, startStep, startTimeMs: performance.now() });
  }

  record(step: number, loss: number): void {
    this.tracker?.record(step, performance.now(), loss);
  }

  /** The smoothed training loss: what the view, captions and results say the loss is. */
  smoothedLoss(): number | undefined {
    return this.smoothed();
  }

  /** A new validation point: the chart is redrawn at the next refresh. */
  validated(): void {
    this.chartDirty = true;
    this.lastChartAt = Number.NEGATIVE_INFINITY;
  }

  /** The last redraw of a finished run includes the whole chart. */
  finishing(): void {
    this.chartDirty = true;
  }

  /** The newest previews: the first picture among them, else the first one's HTML (generated text). */
  show(previews: readonly RenderedPreview[]): void {
    const picture = previews.find((p) => p.image !== undefined)?.image;
    if (picture !== undefined) {
      this.picture = picture;
      this.previewHtml = undefined;
      return;
    }
    const html = previews.find((p) => typeof p.bundle["text/html"] === "string")?.bundle["text/html"];
    if (typeof html === "string") this.previewHtml = html;
  }

  /** The run's disk usage now: the live view's note; `announce`: also a line of its own in a terminal (at showDiskNote()). */
  setDiskNote(note: string, announce = true): void {
    this.diskNote = note;
    if (announce) this.diskNoteFresh = true;
  }

  /** A new disk-usage line: a line of its own in a terminal (the notebook's live view shows it as a note). */
  showDiskNote(): void {
    if (this.diskNoteFresh && this.diskNote !== undefined && !this.out.pictures) this.out.event(this.diskNote);
    this.diskNoteFresh = false;
  }

  /** Redraws if `refreshMs` passed (or `final`); the chart only when due. */
  async refresh(step: number, facts: LiveViewFacts, final: boolean): Promise<void> {
    const now = performance.now();
    if (!final && now - this.lastRefreshAt < this.refreshMs) return;
    this.lastRefreshAt = now;
    if (this.out.pictures && (final || (this.chartDirty && now - this.lastChartAt >= CHART_EVERY_MS))) {
      const data = this.chartData();
      if (data.train.length > 0) {
        try {
          this.chart = await renderLossChart({ ...data, title: `${this.name} · loss` });
        } catch (error) {
          this.out.warn(msg.renderFailed("The loss chart", errorMessage(error)));
        }
      }
      this.chartDirty = false;
      this.lastChartAt = performance.now();
    }
    const tracker = this.tracker ?? new ProgressTracker({ total: this.steps, startStep: step, startTimeMs: now });
    this.out.progress(
      {
        snapshot: { ...tracker.snapshot(performance.now()), smoothedLoss: this.smoothed() },
        context: this.context(facts),
        ...(this.chart === undefined ? {} : { chart: this.chart }),
        ...(this.picture === undefined ? {} : { grid: this.picture }),
        ...(this.previewHtml === undefined ? {} : { previewHtml: this.previewHtml }),
      },
      final,
    );
  }

  private context(facts: LiveViewFacts): ProgressContext {
    const saves = facts.saves;
    // The last view stays on screen while the store's close waits for the uploads: it says so.
    const ending = this.status !== "starting" && this.status !== "training";
    const mirror = saves?.mirror === undefined ? [] : [mirrorLine(saves.mirror, ending)];
    const notes = [...this.notes(), ...mirror, ...(this.diskNote === undefined ? [] : [this.diskNote])];
    const val = facts.validation?.["val_loss"];
    const failing = saves !== undefined && saves.consecutiveFailures > 0 ? saves : undefined;
    return {
      title: this.name,
      status: failing !== undefined && this.status === "training" ? msg.savesFailingStatus(failing.consecutiveFailures, failing.maxFailedSaves) : this.status,
      ...(failing === undefined ? {} : { warnings: [msg.savesFailingNote(failing.consecutiveFailures, failing.maxFailedSaves)] }),
      epoch: facts.epoch,
      ...(val !== undefined && Number.isFinite(val) ? { validationLoss: val } : {}),
      ...(facts.lastCheckpoint === undefined ? {} : { lastCheckpoint: { step: facts.lastCheckpoint.step, kind: facts.lastCheckpoint.kind } }),
      notes,
    };
  }
}
