/**
 * The run's previews as the user meets them: asked of the previewer (run-previews.ts), shown inline
 * and saved in the run's directory —
 *
 *   on resume and at a fresh start   shown as outputs of their own, saved as preview-step-N.*
 *   beside each checkpoint           the newest picture in the live view, saved as samples-step-N.*
 *   at the end                       the last checkpoint's previews the live view does not show
 *                                    as outputs of their own
 *
 * Each picture appears once: the live view starts without one and shows each checkpoint's.
 *
 * A preview that cannot be drawn is warned about and training goes on: a preview is not the run.
 */
import { joinLocation } from "../checkpoint/storage/location.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import type { TensorGroup } from "../tensor.js";
import type { LiveView } from "./live-view.js";
import { runMessages as msg } from "./messages.js";
import type { Previewer } from "./preview.js";
import { previewFileStem, samplesFileStem, writePreviewFiles } from "./run-files.js";
import type { RunOutput } from "./run-output.js";
import type { GridStats } from "./run.js";
import { errorMessage } from "../shared/error-message.js";

/** The preview a notebook's live view shows of these: the first with a picture, else the first with HTML (live-view.ts). */
function liveShown(previews: readonly RenderedPreview[]): RenderedPreview | undefined {
  return previews.find((p) => p.image !== undefined) ?? previews.find((p) => typeof p.bundle["text/html"] === "string");
}

export class PreviewPresenter {
  readonly stats: { -readonly [K in keyof GridStats]: GridStats[K] } = { offThread: 0, onTrainingThread: 0, skipped: 0, dropped: 0 };
  /** The first file of the preview shown on resume (or at a fresh start). */
  previewFile: string | undefined;
  /** The first file of the newest previews saved beside a checkpoint. */
  samplesFile: string | undefined;
  private lastPreviews: readonly RenderedPreview[] | undefined;

  constructor(
    private readonly out: RunOutput,
    private readonly dir: string,
    private readonly previewer: Previewer | undefined,
    private readonly view: LiveView,
  ) {}

  /** Whether previews go to the sampler thread (the caller may train on meanwhile). */
  get offThread(): boolean {
    return this.previewer?.offThread === true;
  }

  get samplerReady(): Promise<number> | undefined {
    return this.previewer?.samplerReady;
  }

  get recorded(): Previewer["recorded"] {
    return this.previewer?.recorded ?? [];
  }

  /** Starts the sampler thread, if there is one, ahead of the first request. */
  start(): void {
    this.previewer?.start();
  }

  /** Stops the sampler thread: previews still being drawn are dropped. Every way out of train() calls it. */
  async close(): Promise<void> {
    await this.previewer?.close();
  }

  /**
   * Starts the previews of these parameters; computed off this thread, they are copied before this
   * returns. Resolves to the previews, "skipped" when a newer request replaced it while the sampler
   * was busy, or undefined: no previewer, closed, or it failed (warned).
   */
  request(parameters: TensorGroup, step: number, caption: string, onThisThread = false): Promise<readonly RenderedPreview[] | "skipped" | undefined> {
    return this.requestChecked(parameters, step, caption, onThisThread).then((r) => (r === undefined || r === "skipped" ? r : r.previews));
  }

  /** request(), with what the previews' numbers say is wrong with the model (preview-check.ts). */
  private requestChecked(
    parameters: TensorGroup,
    step: number,
    caption: string,
    onThisThread: boolean,
  ): Promise<{ previews: readonly RenderedPreview[]; problems: readonly string[] } | "skipped" | undefined> {
    if (this.previewer === undefined) return Promise.resolve(undefined);
    return this.previewer.request(parameters, step, caption, { onThisThread }).then(
      (outcome) => {
        if ("previews" in outcome) {
          if (outcome.offThread) this.stats.offThread++;
          else this.stats.onTrainingThread++;
          return { previews: outcome.previews, problems: outcome.problems };
        }
        if (outcome.skipped === "superseded") this.stats.skipped++;
        else this.stats.dropped++;
        return outcome.skipped === "superseded" ? "skipped" : undefined;
      },
      (error: unknown) => {
        this.out.warn(msg.previewFailed(errorMessage(error)));
        return undefined;
      },
    );
  }

  /**
   * What these parameters do, shown inline and saved as preview-step-N.* (resume, fresh start).
   * Undefined when none was drawn; else what the previews' numbers say is wrong (empty: nothing).
   */
  async showOnce(parameters: TensorGroup, step: number, caption: string, onThisThread: boolean): Promise<readonly string[] | undefined> {
    const drawn = await this.requestChecked(parameters, step, caption, onThisThread);
    if (drawn === undefined || drawn === "skipped") return undefined;
    const { previews } = drawn;
    let files: readonly (string | undefined)[] = [];
    try {
      files = await writePreviewFiles(this.dir, previewFileStem(step), previews);
      this.previewFile = files[0];
    } catch (error) {
      // Shown anyway (a read-only directory, a full disk): the preview is for the user's eyes first.
      this.out.warn(msg.pictureNotWritten(joinLocation(this.dir, previewFileStem(step)), errorMessage(error)));
    }
    previews.forEach((p, i) => this.out.preview(p, files[i]));
    return drawn.problems;
  }

  /** Saves the previews beside their checkpoint and shows the newest picture live; returns the first file (a failure is only warned about). */
  async besideCheckpoint(step: number, previews: readonly RenderedPreview[]): Promise<string | undefined> {
    this.showPicture(previews); // previews arrive in order: the newest is shown
    try {
      const file = (await writePreviewFiles(this.dir, samplesFileStem(step), previews))[0];
      this.samplesFile = file;
      this.lastPreviews = previews;
      return file;
    } catch (error) {
      this.out.warn(msg.pictureNotWritten(joinLocation(this.dir, samplesFileStem(step)), errorMessage(error)));
      return undefined;
    }
  }

  /** The last checkpoint's previews that the live view does not show (all of them in a terminal), as outputs of their own. */
  showLast(): void {
    if (this.lastPreviews === undefined || this.samplesFile === undefined) return;
    const live = this.out.pictures ? liveShown(this.lastPreviews) : undefined;
    for (const p of this.lastPreviews) if (p !== live) this.out.preview(p, this.samplesFile);
  }

  private showPicture(previews: readonly RenderedPreview[]): void {
    this.view.show(previews);
  }
}
