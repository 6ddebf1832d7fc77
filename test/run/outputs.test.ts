/**
 * How a run shows itself: the notebook output (one live display updated in place, pictures and
 * tables as their own outputs) and the terminal output (one progress line redrawn in place on a
 * TTY, messages above it; periodic lines without a TTY), and the tables both use.
 */
import assert from "node:assert/strict";
import type { Display } from "../../src/notebook/display.js";
import type { DisplayMetadata, MimeBundle } from "../../src/notebook/mime-bundle.js";
import { NotebookOutput } from "../../src/run/notebook-output.js";
import { ProgressTracker } from "../../src/run/progress.js";
import type { ProgressView } from "../../src/run/run-output.js";
import { settingsText, tableBundle, tableText } from "../../src/run/table.js";
import { TerminalOutput } from "../../src/run/terminal-output.js";
import type { RenderedImage } from "../../src/render/mime-bundle.js";
import { gridPreview } from "../../src/render/grid-preview.js";
import { renderTextPreview } from "../../src/render/text-preview.js";

class FakeDisplay implements Display {
  readonly shown: MimeBundle[] = [];
  readonly updated: MimeBundle[] = [];
  show(bundle: MimeBundle, _metadata?: DisplayMetadata): void {
    this.shown.push(bundle);
  }
  update(bundle: MimeBundle): void {
    this.updated.push(bundle);
  }
}

class Sink {
  text = "";
  constructor(
    readonly isTTY: boolean,
    readonly columns = 60,
  ) {}
  write(t: string): void {
    this.text += t;
  }
}

function view(step: number, total = 100, extra: Partial<ProgressView> = {}): ProgressView {
  const t = new ProgressTracker({ total, startTimeMs: 0 });
  if (step > 0) t.record(step, step * 10, 0.5);
  return { snapshot: t.snapshot(step * 10), context: { title: "demo", status: "training" }, ...extra };
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const picture: RenderedImage = { bundle: { "image/png": PNG, "text/plain": "step 5 · loss 0.5 · rolling checkpoint" }, width: 10, height: 10 };
const textPreview = renderTextPreview({ samples: [{ prompt: "Alice was", text: " once upon a time" }], caption: "step 5" });

describe("run outputs", function () {
  it("notebook: the live view is one display updated in place, with progress, chart and grid in its HTML and events as notes", function () {
    const made: FakeDisplay[] = [];
    const out = new NotebookOutput({ display: () => (made.push(new FakeDisplay()), made.at(-1)!), log: () => undefined, warn: () => undefined });
    out.progress(view(10));
    out.event("step 10 · saved rolling checkpoint");
    out.progress(view(20, 100, { chart: picture, grid: picture }));
    assert.equal(made.length, 1, "one display for the live view");
    const live = made[0]!;
    assert.equal(live.updated.length, 2);
    const html = String(live.updated[1]!["text/html"]);
    assert.match(html, /<progress value="0\.2000"/);
    assert.equal((html.match(/data:image\/png;base64,/g) ?? []).length, 2);
    assert.match(html, /step 10 · saved rolling checkpoint/);
    assert.match(String(live.updated[1]!["text/plain"]), /^demo · training\nstep 20 \/ 100 \(20%\)/);
  });

  it("notebook: pictures and tables are outputs of their own, messages are stream lines", function () {
    const made: FakeDisplay[] = [];
    const lines: string[] = [];
    const warnings: string[] = [];
    const out = new NotebookOutput({ display: () => (made.push(new FakeDisplay()), made.at(-1)!), log: (t) => lines.push(t), warn: (t) => warnings.push(t) });
    out.preview(gridPreview(picture, ""));
    out.preview(textPreview);
    out.table({ title: "Run configuration", columns: ["setting", "value"], rows: [["steps", "100"]], collapsed: true });
    out.info("resumed");
    out.warn("damaged");
    assert.equal(made.length, 3);
    assert.equal(made[0]!.shown[0]!["image/png"], PNG);
    assert.match(String(made[1]!.shown[0]!["text/markdown"]), /once upon a time/);
    assert.match(String(made[2]!.shown[0]!["text/html"]), /^<details class="nbresume-table".*<summary[^>]*>Run configuration<\/summary>/);
    assert.deepEqual(lines, ["resumed"]);
    assert.deepEqual(warnings, ["damaged"]);
  });

  it("terminal with a TTY: one progress line redrawn with \\r, messages printed above it and the line redrawn", function () {
    const sink = new Sink(true);
    const out = new TerminalOutput({ stream: sink });
    out.progress(view(10));
    out.progress(view(20));
    out.info("saved rolling checkpoint");
    out.end();
    const parts = sink.text.split("\r");
    assert.ok(parts.length >= 4, JSON.stringify(sink.text));
    assert.ok(sink.text.startsWith("\rstep 10/100 "), JSON.stringify(sink.text));
    // eslint-disable-next-line no-control-regex -- matches the ANSI erase-line sequence, which starts with ESC
    assert.match(sink.text, /\rstep 20\/100 [^\n]*\x1b\[K\r\x1b\[Ksaved rolling checkpoint\n\rstep 20\/100 [^\n]*\x1b\[K\n$/);
    for (const line of sink.text.split(/[\r\n]/)) assert.ok(line.replace("\x1b[K", "").length <= 59, `longer than the terminal: ${line}`);
  });

  it("terminal without a TTY: a progress line at most every interval, and always the final one", function () {
    const sink = new Sink(false);
    let now = 0;
    const out = new TerminalOutput({ stream: sink, plainIntervalMs: 1000, now: () => now });
    out.progress(view(1));
    now = 500;
    out.progress(view(2));
    now = 1200;
    out.progress(view(3));
    now = 1300;
    out.progress(view(4));
    out.progress(view(5), true);
    out.preview(gridPreview(picture, ""), "/runs/x/samples-step-00000005.png");
    out.preview(textPreview, "/runs/x/samples-step-00000005-1.txt");
    out.end();
    const lines = sink.text.split("\n").filter((l) => l !== "");
    assert.deepEqual(
      lines.slice(0, 3).map((l) => l.split(" ▕")[0]),
      ["step 3/100", "step 5/100", "step 5 · loss 0.5 · rolling checkpoint → /runs/x/samples-step-00000005.png"],
    );
    // A picture is only named; text is the preview itself, printed (its first line names the file).
    assert.match(lines[3]!, /→ \/runs\/x\/samples-step-00000005-1\.txt$/);
    assert.ok(
      lines.some((l) => l.includes("once upon a time")),
      sink.text,
    );
  });

  it("tables: the same rows as HTML, markdown and aligned text; settings grouped in a few lines for a terminal", function () {
    const table = {
      title: "T",
      columns: ["name", "size"],
      rows: [
        ["a<b", "1"],
        ["long name", "1,024"],
      ],
      numeric: [1],
    };
    const bundle = tableBundle(table);
    assert.match(bundle["text/html"], /<td style="text-align:left[^"]*">a&#60;b<\/td><td style="text-align:right[^"]*">1<\/td>/);
    assert.equal(bundle["text/markdown"], "**T**\n\n| name | size |\n|:---|---:|\n| a\\<b | 1 |\n| long name | 1,024 |");
    assert.equal(tableText(table), "T\nname        size\na<b            1\nlong name  1,024");
    assert.equal(
      settingsText({
        title: "Run configuration",
        columns: ["setting", "value"],
        rows: [
          ["model.kind", '"ddpm"'],
          ["model.unet.widths", "[16,32]"],
          ["steps", "10"],
        ],
      }),
      'Run configuration\n  model  kind="ddpm" unet.widths=[16,32]\n  steps  10',
    );
  });
});
