/** `nbresume inspect CKPT`: tensors per group, the model it describes, a state summary and the manifest of one checkpoint. */
import type { CheckpointProblem } from "../../checkpoint/store.js";
import { formatBytes, formatCount } from "../../shared/format.js";
import { ageSeconds, formatAge } from "../age.js";
import { summarizeState } from "../checkpoint-contents.js";
import type { Command } from "../command.js";
import { formatMetrics, formatShape, plural } from "../format.js";
import { describeModel, formatSpecs, graphStatusText } from "../model-summary.js";
import { formatTable } from "../table.js";
import { CHECKPOINT_OPTIONS, noteSkipped, openCkptArgument } from "../target.js";

/** Tensors shown per group before "… N more" (all with --all). */
const TENSORS_SHOWN = 20;

export const inspectCommand: Command = {
  name: "inspect",
  summary: "tensors (name, dtype, shape, bytes), state summary and manifest of a checkpoint",
  args: "CKPT",
  positionals: { min: 1, max: 1 },
  description:
    "Shows what a checkpoint holds, reading only headers (no tensor data): each tensor group's tensors\n" +
    "(name, dtype, shape, bytes; the first 20 per group unless --all), the model it describes (state.json\n" +
    '"model": the stored graphs with their batch size, inputs and outputs, whether each graph file is there\n' +
    "and its SHA-256 matches its name; the previews; the model's fingerprint), a summary of state.json (step,\n" +
    "epoch, metrics, loss history, RNG and data cursor, config keys, versions) and the manifest.\n" +
    "CKPT is a checkpoint directory (or s3://bucket/prefix/ckpt-…), shown as it is, or a checkpoint root with\n" +
    "--ref (default auto), resolved as every command and a rerun resolve it: a damaged candidate is reported and\n" +
    "passed over. Exits 1 if a part of the checkpoint cannot be read (or, with --verify, fails verification), or a\n" +
    "stored graph it lists is missing or damaged.",
  options: [
    { name: "all", type: "boolean", description: "list every tensor of every group" },
    { name: "verify", type: "boolean", description: "also hash every file (deep check)" },
    ...CHECKPOINT_OPTIONS,
  ],
  json: true,
  examples: ["nbresume inspect runs/mnist", "nbresume inspect runs/mnist/ckpt-step-00012000-rolling --all"],

  async run({ positionals, options, json, out, now }) {
    const target = await openCkptArgument({ positionals, options }, "inspect", { verified: false });
    try {
      noteSkipped(out, target);
      const contents = await target.store.contents(target.path);
      const deep = options["verify"] === true ? await target.store.verify(target.path) : undefined;
      const problems: CheckpointProblem[] = [...contents.problems];
      for (const p of deep?.problems ?? []) if (!problems.some((q) => q.message === p.message)) problems.push(p);
      const { manifest, state } = contents;
      const summary = state ? summarizeState(state) : undefined;
      // A ref was resolved with every file hashed: that is a deep check too.
      const resolved = target.info?.verified === true;
      const verified = deep ? deep.ok : problems.length > 0 ? false : resolved ? true : null;
      const model = await describeModel(state, target.store.blobs);
      const graphsBad = (model?.graphs ?? []).some((g) => g.status.kind !== "ok");
      const code = problems.length > 0 || graphsBad ? 1 : 0;
      const bytes = target.info?.bytes;

      if (json) {
        out.json({
          name: target.name,
          path: target.path,
          kind: manifest?.kind ?? null,
          step: manifest?.step ?? null,
          epoch: manifest?.epoch ?? null,
          metrics: manifest?.metrics ?? null,
          created: manifest?.created ?? null,
          ageSeconds: ageSeconds(manifest?.created, now),
          bytes: bytes ?? null,
          verified,
          problems,
          groups: contents.groups.map((g) => ({
            group: g.group,
            file: g.file,
            tensorCount: g.tensors.length,
            elements: g.elements,
            tensorBytes: g.tensorBytes,
            metadata: g.metadata,
            tensors: g.tensors,
          })),
          model,
          state: summary ?? null,
          manifest: manifest ?? null,
        });
        return code;
      }

      const { color } = out;
      out.line(color.bold(`Checkpoint ${target.path}`));
      if (manifest) {
        const when = `${manifest.created} (${formatAge(manifest.created, now)})`;
        out.line(
          `  ${manifest.kind} · step ${manifest.step} · epoch ${manifest.epoch} · created ${when}${bytes === undefined ? "" : ` · ${formatBytes(bytes)}`}`,
        );
        out.line(`  metrics: ${formatMetrics(manifest.metrics)}`);
      }
      const verifiedText = verified === null ? color.dim("not checked (--verify hashes every file)") : verified ? color.ok("ok") : color.bad("FAILED");
      out.line(`  verified: ${verifiedText}`);
      for (const p of problems) out.line(color.bad(`    ✗ ${p.message}`));

      out.line();
      out.line(color.bold("Tensors"));
      if (contents.groups.length === 0) out.line("  (no tensor groups)");
      const all = options["all"] === true;
      for (const g of contents.groups) {
        out.line(`  ${g.group} (${g.file}) — ${plural(g.tensors.length, "tensor")}, ${formatCount(g.elements)} values, ${formatBytes(g.tensorBytes)}`);
        const shown = all ? g.tensors : g.tensors.slice(0, TENSORS_SHOWN);
        if (shown.length > 0) {
          out.lines(
            formatTable(
              [{ header: "NAME" }, { header: "DTYPE" }, { header: "SHAPE" }, { header: "BYTES", align: "right" }],
              shown.map((t) => [t.name, t.dtype, formatShape(t.shape), formatBytes(t.bytes)]),
              { indent: 4 },
            ),
          );
        }
        if (shown.length < g.tensors.length) out.line(color.dim(`    … ${g.tensors.length - shown.length} more (--all shows every tensor)`));
        const meta = Object.entries(g.metadata);
        if (meta.length > 0) out.line(`    metadata: ${meta.map(([k, v]) => `${k}=${v}`).join(", ")}`);
      }

      out.line();
      out.line(color.bold('Model (state.json "model")'));
      if (model === null) out.line("  not recorded (a checkpoint written before runs stored their model, or not by resumable())");
      else {
        out.line(`  fingerprint: ${model.fingerprint ?? "(none)"}`);
        if (model.graphs.length === 0) out.line("  stored graphs: none");
        for (const g of model.graphs) {
          const status = graphStatusText(g.status);
          out.line(`  graph ${g.graph} · batch ${g.batchSize} · ${formatBytes(g.bytes)} · ${g.status.kind === "ok" ? color.ok(status) : color.bad(status)}`);
          out.line(`    inputs: ${formatSpecs(g.inputs)}`);
          out.line(`    outputs: ${formatSpecs(g.outputs)}`);
          out.line(color.dim(`    file: ${g.file}`));
        }
        out.line(
          `  previews: ${
            model.previews.length === 0
              ? "none"
              : model.previews
                  .map(
                    (p) =>
                      `${p.kind}${
                        Object.keys(p.settings).length > 0
                          ? ` (${Object.entries(p.settings)
                              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
                              .join(", ")})`
                          : ""
                      }`,
                  )
                  .join("; ")
          }`,
        );
      }

      out.line();
      out.line(color.bold("State (state.json)"));
      if (!summary) out.line("  unreadable (see above)");
      else {
        out.line(`  step ${summary.step} · epoch ${summary.epoch} · metrics: ${formatMetrics(summary.metrics)}`);
        const h = summary.lossHistory;
        const history =
          h === null
            ? "none"
            : `${formatCount(h.length)} values${h.stride > 1 ? ` (one per ${h.stride} steps)` : ""}${h.validation > 0 ? `, ${formatCount(h.validation)} validation` : ""} (${h.key})`;
        out.line(`  loss history: ${history}`);
        out.line(
          `  rng state: ${summary.rng ? `present (${summary.rng.key})` : "absent"} · data cursor: ${summary.dataCursor ? `present (${summary.dataCursor.key})` : "absent"}`,
        );
        out.line(`  config keys: ${summary.configKeys === null ? "no config" : summary.configKeys.length > 0 ? summary.configKeys.join(", ") : "(empty)"}`);
        out.line(`  command: ${summary.command ? "recorded (nbresume resume-command prints it)" : "not recorded"}`);
        out.line(`  all keys: ${summary.keys.join(", ")}`);
        out.line(`  versions: nbresume ${summary.nbresume} · format ${summary.format}`);
      }

      out.line();
      out.line(color.bold("Manifest (manifest.json)"));
      if (!manifest) out.line("  unreadable (see above)");
      else {
        out.line(`  format ${manifest.format} · written by nbresume ${manifest.nbresume}`);
        out.lines(
          formatTable(
            [{ header: "FILE" }, { header: "BYTES", align: "right" }, { header: "HASH" }],
            Object.entries(manifest.files).map(([file, entry]) => [file, formatCount(entry.bytes), entry.hash]),
          ),
        );
      }
      return code;
    } finally {
      await target.store.close();
    }
  },
};
