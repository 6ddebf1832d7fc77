/**
 * Every kind of preview shown in a real notebook: a real Jupyter server (Debian's jupyter-server
 * on loopback) with the nbresume tslab kernel; cells import the renderers from the package by
 * name (dist/, built by `npm run build`) and show each RenderedPreview's bundle through nbresume's
 * own display. The assertions read what the server recorded, as a front end would receive it.
 * One kernel serves every test.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { decodePng } from "../../src/render/image.js";
import { decodeWav } from "../../src/render/wav.js";
import {
  NOTEBOOKS_DIR,
  REPO_ROOT,
  startJupyterServer,
  type DisplayOutput,
  type ExecuteResult,
  type JupyterServer,
  type KernelHandle,
} from "../support/jupyter-server.js";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const PRELUDE = `import {
  createDisplay, renderSampleGrid, gridPreview, renderPlotPreview, predictionVsTargetSpec, decisionBoundarySpec,
  renderAudioPreview, renderTextPreview, type RenderedPreview,
} from "nbresume";
const show = (preview: RenderedPreview): void => createDisplay().show(preview.bundle);`;

function assertOk(r: ExecuteResult, what: string): void {
  assert.equal(r.status, "ok", `${what} failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** The one display a cell sent, as the server recorded it. */
function onlyDisplay(r: ExecuteResult): DisplayOutput {
  assert.equal(r.stdout, "", "a kernel display must not fall back to terminal text");
  assert.equal(r.displays.length, 1, `displays: ${JSON.stringify(r.displays.map((d) => Object.keys(d.data)))}`);
  return r.displays[0]!;
}

/** A base64 image/png entry, decoded and checked to be a PNG. */
async function pngOf(display: DisplayOutput): Promise<{ width: number; height: number }> {
  const value = display.data["image/png"];
  assert.equal(typeof value, "string", "image/png travels as base64 text");
  const bytes = Buffer.from(value as string, "base64");
  assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
  return decodePng(new Uint8Array(bytes));
}

describe("previews in a real notebook (nbresume kernel in a Jupyter server)", function () {
  this.timeout(120_000);
  let server: JupyterServer;
  let kernel: KernelHandle;

  before(async function () {
    const newest = ["audio-preview", "plot-preview", "text-preview", "grid-preview", "wav", "index"].map((name) => {
      try {
        return statSync(join(REPO_ROOT, "dist", "render", `${name}.js`)).mtimeMs >= statSync(join(REPO_ROOT, "src", "render", `${name}.ts`)).mtimeMs;
      } catch {
        return false;
      }
    });
    assert.ok(newest.every(Boolean), "dist/render is missing or older than src/render: run `npm run build` (npm test does) before these tests");
    server = await startJupyterServer({ rootDir: NOTEBOOKS_DIR });
    kernel = await server.startKernel();
    assertOk(await kernel.execute(PRELUDE), "the prelude cell");
  });

  after(async function () {
    await server?.close();
  });

  it("shows an image grid as image/png with its caption", async function () {
    const r = await kernel.execute(`const images = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => (i % 8) / 7);
show(gridPreview(await renderSampleGrid({ images, n: 4, height: 8, width: 8, range: [0, 1] }), "grid at step 10"));`);
    assertOk(r, "the grid cell");
    const shown = onlyDisplay(r);
    assert.deepEqual(Object.keys(shown.data).sort(), ["image/png", "text/plain"]);
    assert.equal(shown.data["text/plain"], "grid at step 10\n4 samples (8×8)");
    const png = await pngOf(shown);
    assert.ok(png.width > 16 && png.height > 16);
  });

  it("shows a plot as image/png with its vega-lite spec and text", async function () {
    const r = await kernel.execute(`const points = Array.from({ length: 50 }, (_, i) => ({ target: i / 10, prediction: i / 10 + 0.1 * Math.sin(i) }));
show(await renderPlotPreview({ spec: predictionVsTargetSpec(points), caption: "regression at step 20", width: 320, height: 300 }));`);
    assertOk(r, "the plot cell");
    const shown = onlyDisplay(r);
    assert.deepEqual(Object.keys(shown.data).sort(), ["application/vnd.vegalite.v5+json", "image/png", "text/plain"]);
    const png = await pngOf(shown);
    assert.deepEqual([png.width, png.height], [320, 300]);
    assert.match(String(shown.data["text/plain"]), /^regression at step 20\nprediction vs target: 50 points · RMSE /);
    // The spec arrives whole, whether the display sends JSON types as text or parsed.
    const raw = shown.data["application/vnd.vegalite.v5+json"];
    const spec = (typeof raw === "string" ? JSON.parse(raw) : raw) as { $schema: string; title: { text: string } };
    assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    assert.equal(spec.title.text, "regression at step 20");
  });

  it("shows audio as text/html with one <audio> per clip playing a data: WAV", async function () {
    const r = await kernel.execute(`const tone = (hz: number) => Float32Array.from({ length: 4000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 8000));
show(await renderAudioPreview({ clips: [{ samples: tone(440), sampleRate: 8000, label: "a4" }, { samples: tone(220), sampleRate: 8000, label: "a3" }], caption: "audio at step 30" }));`);
    assertOk(r, "the audio cell");
    const shown = onlyDisplay(r);
    assert.deepEqual(Object.keys(shown.data).sort(), ["text/html", "text/plain"]);
    const html = String(shown.data["text/html"]);
    assert.ok(html.includes("<audio") && html.includes("data:audio/wav;base64,"));
    const wavs = [...html.matchAll(/src="data:audio\/wav;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => decodeWav(new Uint8Array(Buffer.from(m[1]!, "base64"))));
    assert.deepEqual(
      wavs.map((w) => [w.sampleRate, w.frames]),
      [
        [8000, 4000],
        [8000, 4000],
      ],
    );
    assert.match(String(shown.data["text/plain"]), /^audio at step 30\n2 audio clips/);
  });

  it("shows generated text as text/markdown and text/html, the prompt apart and hostile text escaped", async function () {
    const r = await kernel.execute(`show(renderTextPreview({
  samples: [{ prompt: "Once upon a time", text: " <script>alert(1)</script> \`\`\` and then", label: "temperature 0.8" }],
  caption: "text at step 40",
}));`);
    assertOk(r, "the text cell");
    const shown = onlyDisplay(r);
    assert.deepEqual(Object.keys(shown.data).sort(), ["text/html", "text/markdown", "text/plain"]);
    const html = String(shown.data["text/html"]);
    assert.ok(!html.includes("<script>"));
    assert.ok(html.includes('<span class="prompt" title="prompt"'));
    assert.ok(html.includes("&#60;script&#62;alert(1)&#60;/script&#62;"));
    const markdown = String(shown.data["text/markdown"]);
    assert.ok(markdown.includes("````text\n <script>alert(1)</script> ``` and then\n````"), markdown);
    assert.match(String(shown.data["text/plain"]), /^text at step 40\n1 text of 39 characters/);
  });
});
