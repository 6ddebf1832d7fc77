/**
 * Every notebook in notebooks/ runs top to bottom headless (nbconvert with the nbresume kernel)
 * with its small setting (NBRESUME_SMOKE=1), in a copy inside a temporary project where
 * node_modules/nbresume links to this checkout — so the runs it creates never land in the
 * repository. Its outputs must contain real pictures: PNGs that decode, and the live display's
 * HTML with the loss chart and sample grid inline.
 */
import assert from "node:assert/strict";
import { copyFileSync, cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { decodePng } from "../../src/render/image.js";
import { NOTEBOOKS_DIR, type JupyterEnv } from "../support/jupyter-server.js";
import { executeNotebook, streamText, type NotebookCell, type NotebookJson } from "../support/nbconvert.js";
import { createUserProject, type UserProject } from "../support/user-project.js";

function text(value: unknown): string {
  return Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "";
}

function source(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Every image/png output of the notebook, decoded. */
async function pngs(nb: NotebookJson): Promise<{ cell: number; caption: string; width: number; height: number }[]> {
  const out: { cell: number; caption: string; width: number; height: number }[] = [];
  for (const [i, cell] of nb.cells.entries()) {
    for (const o of cell.outputs ?? []) {
      const png = o.data?.["image/png"];
      if (png === undefined) continue;
      const image = await decodePng(Buffer.from(text(png).replace(/\s/g, ""), "base64"));
      out.push({ cell: i, caption: text(o.data?.["text/plain"]), width: image.width, height: image.height });
    }
  }
  return out;
}

/** The live displays' final HTML (the dashboard: progress, loss chart and grid as data: URIs). */
function dashboards(nb: NotebookJson): string[] {
  return nb.cells.flatMap((c) => (c.outputs ?? []).map((o) => text(o.data?.["text/html"])).filter((h) => h.includes("nbresume-dashboard")));
}

function cellWith(nb: NotebookJson, code: string): NotebookCell {
  const cell = nb.cells.find((c) => c.cell_type === "code" && source(c).includes(code));
  assert.ok(cell !== undefined, `no cell contains ${code}`);
  return cell;
}

describe("the notebooks in notebooks/, executed headless", function () {
  this.timeout(300_000);
  let user: UserProject | undefined;
  let project: string;
  let jupyter: JupyterEnv;

  before(function () {
    user = createUserProject("nbresume-notebooks-");
    ({ dir: project, jupyter } = user);
  });

  after(function () {
    user?.remove();
  });

  async function execute(name: string): Promise<NotebookJson> {
    copyFileSync(join(NOTEBOOKS_DIR, name), join(project, name));
    cpSync(join(NOTEBOOKS_DIR, "data"), join(project, "data"), { recursive: true });
    return executeNotebook(join(project, name), { jupyter, env: { NBRESUME_SMOKE: "1" }, cellTimeoutSec: 240 });
  }

  it("finds exactly the five notebooks this suite knows", function () {
    assert.deepEqual(
      readdirSync(NOTEBOOKS_DIR)
        .filter((n) => n.endsWith(".ipynb"))
        .sort(),
      ["char-transformer.ipynb", "checkpoints.ipynb", "mnist-classifier.ipynb", "mnist-diffusion.ipynb", "your-own-model.ipynb"],
    );
  });

  it("mnist-classifier.ipynb: trains, stops, resumes with a preview of labelled predictions, then says it is finished", async function () {
    const nb = await execute("mnist-classifier.ipynb");
    const images = await pngs(nb);
    assert.ok(
      images.some((p) => p.caption.startsWith("step 0 · untrained model")),
      images.map((p) => p.caption).join("\n"),
    );
    assert.ok(images.some((p) => /^step 60 · loss [\d.]+ · final checkpoint/.test(p.caption)));
    assert.ok(images.every((p) => p.width > 100 && p.height > 100));
    const html = dashboards(nb);
    assert.ok(html.length >= 1 && html.every((h) => h.includes("data:image/png;base64,")), "the live display carries the chart and grid");
    const cells = nb.cells.filter((c) => c.cell_type === "code" && source(c).includes("run.train("));
    assert.equal(cells.length, 3);
    assert.match(streamText(cells[2]!, "stdout"), /^This run already finished: ckpt-step-00000060-final is at step 60/m);
  });

  it("mnist-diffusion.ipynb: the flagship runs through, with training digits, DDIM sample grids and the loss chart inline", async function () {
    const nb = await execute("mnist-diffusion.ipynb");
    const images = await pngs(nb);
    assert.ok(
      images.some((p) => p.caption.startsWith("16 training digits") && p.width >= 300),
      images.map((p) => p.caption).join("\n"),
    );
    assert.ok(images.some((p) => p.caption.startsWith("step 0 · untrained model")));
    assert.ok(
      images.some((p) => /^step 6 · loss [\d.]+ · final checkpoint · EMA weights/.test(p.caption)),
      "the grids draw the EMA weights",
    );
    const html = dashboards(nb);
    assert.ok(
      html.some((h) => (h.match(/data:image\/png;base64,/g) ?? []).length === 2),
      "chart and grid in the live display",
    );
    const train = streamText(cellWith(nb, "await run.train({ signal"), "stdout");
    assert.match(train, /^(Finished at step 6 |interrupted at step \d+ — emergency checkpoint saved — rerun the cell to resume$)/m);
    const rerun = streamText(cellWith(nb, "await run.train();"), "stdout");
    assert.match(rerun, /^Found ckpt-step-\d{8}-(final|emergency): step \d+ /m);
  });

  it("checkpoints.ipynb: lists, inspects, verifies, diffs, rolls back, prunes and measures, all as tables; a run mirrored to a bucket resumes from it", async function () {
    const nb = await execute("checkpoints.ipynb");
    const tables = nb.cells.flatMap((c) => (c.outputs ?? []).map((o) => text(o.data?.["text/plain"])).filter((t) => t !== ""));
    const titles = tables.map((t) => t.split("\n")[0] ?? "");
    for (const title of [
      /^Checkpoints in /,
      /^ckpt-step-\d{8}-\w+: \w+ · step \d+/,
      /^Verified \d+ checkpoint\(s\): (\d+) intact/,
      /^Config changes \(2\)$/,
      /^After the roll-back$/,
      /^Prune plan \(dry run: nothing deleted\)$/,
      /^Pruned \d+ checkpoint\(s\)$/,
      /^Disk usage of /,
    ]) {
      assert.ok(
        titles.some((t) => title.test(t)),
        `no table titled ${title}; titles:\n${titles.join("\n")}`,
      );
    }
    const verified = /^Verified (\d+) checkpoint\(s\): (\d+) intact/m.exec(tables.join("\n"));
    assert.equal(verified?.[1], verified?.[2], "every checkpoint verifies");
    assert.ok(nb.cells.every((c) => (c.outputs ?? []).every((o) => o.output_type !== "error")));
    assert.match(streamText(cellWith(nb, "wider.train()"), "stdout"), /Not resuming .*the architecture changed.*model\.hidden\[0\]: 64 → 128/);
    assert.match(streamText(cellWith(nb, "rollBack("), "stdout"), /^(Rolled back to|ckpt-step-\d{8}-\w+ \(step \d+\) is already the newest)/m);
    assert.match(streamText(cellWith(nb, 'output: "silent"'), "stdout"), /^resumed at step \d+, now at 40 \(finished\)$/m);
    // Where a run starts: from the best checkpoint, from weights only, over again; and the run's record.
    assert.match(streamText(cellWith(nb, "constantLr(5e-2)"), "stdout"), /^went on to step 60 at lr 0\.05: val_loss [\d.]+$/m);
    const best = streamText(cellWith(nb, 'resumeFrom: "best"'), "stdout");
    assert.match(best, /^Found ckpt-step-\d{8}-\w+: step \d+ /m);
    assert.match(best, /^started from ckpt-step-\d{8}-\w+ \(step \d+\), now at step 60$/m);
    const weights = streamText(cellWith(nb, "load: { optimizer: false, schedule: false }"), "stdout");
    assert.match(
      weights,
      /^load: \{ schedule: false \} \(a new run from the weights of ckpt-step-\d{8}-\w+, step 60\): moved \d+ checkpoints? \(.+\) and the run's record to .*rolled-back-\d{8}T\d{6}Z(-\d+)? — not deleted — and starting over\.$/m,
    );
    assert.match(
      weights,
      /^Resuming at step 0 of 40 \(epoch 0, batch \d+\): weights, RNG and data order restored; optimizer reset \(fresh moments\) and schedule restarted at step 0\.$/m,
    );
    assert.match(weights, /^a new run from those weights: step 0 → 40$/m);
    const fresh = streamText(cellWith(nb, 'onExisting: "fresh"'), "stdout");
    assert.match(fresh, /^onExisting: "fresh": moved \d+ checkpoints? /m);
    assert.match(fresh, /^from scratch: step 0 → 40 \(finished\)$/m);
    assert.match(streamText(cellWith(nb, "readMetricsLog("), "stdout"), /^metrics\.jsonl: 40 steps; the last: \{"step":40,/m);
    assert.ok(
      tables.some((t) => /^Disk usage of /.test(t) && /set aside \(rolled-back-/.test(t)),
      "the set-aside folders are counted",
    );
    // A run mirrored to a bucket (a local S3 server): uploaded, listed there, and resumed from it once the directory is gone.
    assert.match(
      streamText(cellWith(nb, "checkpointStore: { mirror: bucketUrl }"), "stdout"),
      /^trained to step 20 in runs\/mirrored, every checkpoint uploaded to s3:\/\/nbresume-demo\/runs\/mirrored$/m,
    );
    assert.ok(titles.includes("Checkpoints in s3://nbresume-demo/runs/mirrored"), titles.join("\n"));
    const fromBucket = streamText(cellWith(nb, "rmSync(mirrored.dir"), "stdout");
    assert.match(fromBucket, /^Copied ckpt-step-00000020-final down from the mirror s3:\/\/nbresume-demo\/runs\/mirrored: /m);
    assert.match(fromBucket, /^the directory was gone: resumed from the bucket's ckpt-step-00000020-final \(step 20\), now at step 40$/m);
    assert.ok(
      dashboards(nb).some((h) => h.includes("mirror s3://nbresume-demo/runs/mirrored: ")),
      "the live view shows the mirror's uploads",
    );
  });

  /** Every output of the notebook with `mime`, as text. */
  function outputsOf(nb: NotebookJson, mime: string): string[] {
    return nb.cells.flatMap((c) =>
      (c.outputs ?? [])
        .map((o) => o.data?.[mime])
        .filter((d) => d !== undefined)
        .map((d) => (typeof d === "object" && !Array.isArray(d) ? JSON.stringify(d) : text(d))),
    );
  }

  it("your-own-model.ipynb: a model and CSV dataset defined in the notebook train, stop, resume with a decision-boundary plot, written only against the public API", async function () {
    const nb = await execute("your-own-model.ipynb");
    const sources = nb.cells
      .filter((c) => c.cell_type === "code")
      .map(source)
      .join("\n");
    assert.doesNotMatch(sources, /from "\.\.?\/|src\//, "imports the package by name only");
    const images = await pngs(nb);
    assert.ok(
      images.some((p) => p.caption.includes("step 0 · untrained model")),
      images.map((p) => p.caption).join("\n"),
    );
    assert.ok(images.every((p) => p.width > 200 && p.height > 200));
    const specs = readdirSync(join(project, "runs", "your-own-model")).filter((n) => n.endsWith(".vl.json"));
    assert.ok(
      specs.some((n) => n.startsWith("preview-step-")) && specs.some((n) => n.startsWith("samples-step-")),
      `the plots' vega-lite specs are saved: ${specs.join(", ")}`,
    );
    assert.match(streamText(cellWith(nb, "splitDataset("), "stdout"), /^1500 points → 1200 to train, 300 held out$/m);
    const rerun = streamText(cellWith(nb, "await run.train();"), "stdout");
    assert.match(rerun, /^Found ckpt-step-\d{8}-(final|emergency|rolling): step \d+ /m);
    assert.match(rerun, /^(Resuming at step \d+|This run already finished)/m);
    assert.ok(nb.cells.every((c) => (c.outputs ?? []).every((o) => o.output_type !== "error")));
  });

  it("char-transformer.ipynb: a causal transformer on Alice in Wonderland trains, stops and resumes, previewing generated text", async function () {
    const nb = await execute("char-transformer.ipynb");
    const markdown = outputsOf(nb, "text/markdown").filter((m) => m.includes("step "));
    assert.ok(markdown.length >= 1, "a text preview as markdown");
    const html = outputsOf(nb, "text/html").filter((h) => h.includes("untrained model") || /checkpoint/.test(h));
    assert.ok(html.length >= 1, "a text preview as HTML");
    assert.match(streamText(cellWith(nb, "fromTextCorpus("), "stdout"), /^\d+ windows of 64 characters, \d+ distinct characters$/m);
    const rerun = streamText(cellWith(nb, "await run.train();"), "stdout");
    assert.match(rerun, /^Found ckpt-step-\d{8}-(final|emergency|rolling): step \d+ /m);
    assert.ok(nb.cells.every((c) => (c.outputs ?? []).every((o) => o.output_type !== "error")));
  });
});
