/** `nbresume export CKPT --out FILE.onnx`: the trained model as a standalone inference ONNX file. */
import * as path from "node:path";
import { promises as fsp } from "node:fs";
import { readRecordedRun } from "../../checkpoint/recorded-run.js";
import type { BlobStore } from "../../checkpoint/storage/storage.js";
import { NbresumeError, isNbresumeError } from "../../errors.js";
import { formatBytes } from "../../shared/format.js";
import { countOption } from "../args.js";
import type { Command } from "../command.js";
import { CliErrorCode, cliMessages as messages } from "../messages.js";
import { CHECKPOINT_OPTIONS, noteSkipped, openCkptArgument } from "../target.js";
import { UsageError } from "../usage-error.js";
import type { TensorGroup } from "../../tensor.js";

interface Exported {
  readonly kind: string;
  readonly graph: string;
  readonly bytes: number;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** "stored graph": the run's own graph file (works for any model); "model config": rebuilt by a built-in model's code. */
  readonly from: "stored graph" | "model config";
}

function graphChoice(requested: string | undefined, names: readonly string[]): string {
  const graph = requested ?? (names.includes("predict") ? "predict" : names.length === 1 ? names[0] : undefined);
  if (graph === undefined || !names.includes(graph)) {
    if (requested !== undefined) throw new UsageError(messages.exportUnknownGraph(requested, names), "export");
    throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportNoGraph(names), {});
  }
  return graph;
}

/**
 * From the graphs the run stored beside its checkpoints (DIR/graphs/<sha256>.onnx, listed in
 * state.json "model.graphs"): any model, no code needed. Undefined when the checkpoint lists none,
 * or not at this batch size for a model its config can rebuild.
 */
async function exportStoredGraph(
  checkpoint: string,
  blobs: BlobStore,
  state: Record<string, unknown>,
  parameters: TensorGroup,
  requested: string | undefined,
  batchSize: number,
  outPath: string,
  describe: (kind: string, graph: string) => string,
): Promise<Exported | undefined> {
  const { model, modelConfig: config } = readRecordedRun(state);
  const { parseGraphRecords, readStoredGraph } = await import("../../run/stored-graphs.js");
  const records = parseGraphRecords(model?.graphs);
  if (records.length === 0) return undefined;
  const graph = graphChoice(requested, [...new Set(records.map((r) => r.graph))]);
  const record = records.find((r) => r.graph === graph && r.batchSize === batchSize);
  if (record === undefined) {
    const { registeredModelKinds } = await import("../../engine/models/model-registry.js");
    await import("../../engine/models/register-all-models.js");
    if (typeof config?.["kind"] === "string" && registeredModelKinds().includes(config["kind"])) return undefined;
    throw new NbresumeError(
      CliErrorCode.EXPORT_UNSUPPORTED,
      messages.exportNoStoredBatch(
        graph,
        batchSize,
        records.filter((r) => r.graph === graph).map((r) => r.batchSize),
      ),
      { where: checkpoint },
    );
  }
  const kind = typeof config?.["kind"] === "string" ? config["kind"] : typeof config?.["name"] === "string" ? config["name"] : "model";
  const bytes = await readStoredGraph(blobs, record);
  const { bakeParameters, OnnxModelError } = await import("../../engine/graph/onnx-model.js");
  let baked: Uint8Array;
  try {
    baked = bakeParameters(bytes, record.parameters, parameters, { docString: describe(kind, graph), what: `graph '${graph}'` });
  } catch (error) {
    if (error instanceof OnnxModelError)
      throw new NbresumeError(CliErrorCode.EXPORT_MISMATCH, messages.exportParameterMismatch(error.message), { where: checkpoint, cause: error });
    throw error;
  }
  const { writeFileAtomically } = await import("../../checkpoint/atomic-file.js");
  const { EngineErrorCode, engineMessages } = await import("../../engine/messages.js");
  try {
    await writeFileAtomically(outPath, baked);
  } catch (cause) {
    throw new NbresumeError(EngineErrorCode.EXPORT_WRITE_FAILED, engineMessages.exportWriteFailed(outPath, (cause as Error).message), {
      where: outPath,
      cause,
    });
  }
  return { kind, graph, bytes: baked.byteLength, inputs: Object.keys(record.inputs), outputs: Object.keys(record.outputs), from: "stored graph" };
}

/** A built-in model rebuilt from the config it recorded (older checkpoints, or another batch size). */
async function exportFromConfig(
  checkpoint: string,
  state: Record<string, unknown>,
  parameters: TensorGroup,
  requested: string | undefined,
  batchSize: number,
  outPath: string,
  describe: (kind: string, graph: string) => string,
): Promise<Exported> {
  const config = readRecordedRun(state).modelConfig;
  if (!config) throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportNoModelConfig(checkpoint), { where: checkpoint });
  // The engine (graph builder, models, ONNX serializer) loads only for this command.
  await import("../../engine/models/register-all-models.js");
  const { modelFromConfig, registeredModelKinds } = await import("../../engine/models/model-registry.js");
  const { ModelErrorCode } = await import("../../engine/models/messages.js");
  const { exportOnnx } = await import("../../engine/export.js");
  const kind = config["kind"] as string;
  let model;
  try {
    model = modelFromConfig(config);
  } catch (error) {
    if (isNbresumeError(error, ModelErrorCode.UNKNOWN_KIND)) {
      throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportUnknownModel(kind, registeredModelKinds()), { where: checkpoint, cause: error });
    }
    // The model's own argument checks; anything else is ours.
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportBadModelConfig(checkpoint, error.message), { where: checkpoint, cause: error });
  }
  const graph = graphChoice(requested, Object.keys(model.graphs ?? {}));
  try {
    const exported = await exportOnnx(model, parameters, outPath, { graph, batchSize, description: describe(kind, graph) });
    return { kind, graph, bytes: exported.bytes.byteLength, inputs: exported.inputs, outputs: exported.outputs, from: "model config" };
  } catch (error) {
    if (error instanceof RangeError) {
      throw new NbresumeError(CliErrorCode.EXPORT_MISMATCH, messages.exportParameterMismatch(error.message), { where: checkpoint, cause: error });
    }
    throw error;
  }
}

export const exportCommand: Command = {
  name: "export",
  summary: "write the trained model as a standalone inference ONNX file",
  args: "CKPT --out FILE.onnx",
  positionals: { min: 1, max: 1 },
  description:
    'Bakes the checkpoint\'s "model" tensors into one of the model\'s graphs (default "predict", or the only\n' +
    "one) as initializers and writes an ONNX file that plain onnxruntime runs: no optimizer state, no\n" +
    "training inputs, static shapes for --batch-size. The graph is the one the run stored beside its\n" +
    'checkpoints (graphs/<sha256>.onnx, listed in state.json "model.graphs"), so a model defined in a\n' +
    "notebook exports without its code; older checkpoints of built-in models are rebuilt from the model\n" +
    "config they recorded. The file is replaced atomically. A run that keeps an EMA of its weights saves it as\n" +
    'the checkpoint\'s "ema" tensors: those are exported when present (--weights model for the raw ones).\n' +
    "CKPT is a checkpoint directory, or a checkpoint root with --ref (default auto: the newest that verifies);\n" +
    "either may be on object storage (s3://bucket/prefix[/ckpt-…]).",
  options: [
    { name: "out", type: "string", value: "FILE.onnx", description: "where to write the ONNX model (required)" },
    { name: "graph", type: "string", value: "NAME", description: "which of the model's graphs to export (default predict)" },
    { name: "batch-size", type: "string", value: "N", description: "the exported graph's batch size (default 1)" },
    { name: "weights", type: "string", value: "ema|model", description: "which weights: the EMA (default when the checkpoint has one) or the model's" },
    ...CHECKPOINT_OPTIONS,
  ],
  json: true,
  examples: ["nbresume export runs/mlp --out mlp.onnx --batch-size 64", "nbresume export runs/mnist --out denoiser.onnx --graph sample"],

  async run({ positionals, options, json, out }) {
    const file = options["out"];
    if (typeof file !== "string") throw new UsageError(messages.missingOption("out", "FILE.onnx"), "export");
    const outPath = path.resolve(file);
    if (
      !(await fsp.stat(path.dirname(outPath)).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      throw new UsageError(messages.badOutPath(file), "export");
    const batchSize = countOption(options, "batch-size", "export") ?? 1;
    if (batchSize === 0) throw new UsageError(messages.notAPositiveCount("batch-size", "0"), "export");
    const weights = options["weights"];
    if (weights !== undefined && weights !== "ema" && weights !== "model") throw new UsageError(messages.exportBadWeights(String(weights)), "export");
    const target = await openCkptArgument({ positionals, options }, "export", { verified: true, load: true });
    try {
      noteSkipped(out, target);
      const ckpt = target.loaded!;
      // The EMA of the weights when the run kept one (what its previews showed), unless asked otherwise.
      const group = weights ?? (ckpt.tensors["ema"] !== undefined ? "ema" : "model");
      const parameters = ckpt.tensors[group];
      if (!parameters)
        throw new NbresumeError(
          CliErrorCode.EXPORT_UNSUPPORTED,
          group === "ema" ? messages.exportNoEma(target.path) : messages.exportNoParameters(target.path, Object.keys(ckpt.tensors)),
          { where: target.path },
        );
      const describe = (kind: string, graph: string): string => `nbresume export of ${kind} graph '${graph}' from ${target.name} (step ${ckpt.step})`;
      const exported =
        (await exportStoredGraph(
          target.path,
          target.store.blobs,
          ckpt.state,
          parameters,
          options["graph"] as string | undefined,
          batchSize,
          outPath,
          describe,
        )) ?? (await exportFromConfig(target.path, ckpt.state, parameters, options["graph"] as string | undefined, batchSize, outPath, describe));
      const { kind, graph } = exported;
      const result = {
        checkpoint: target.path,
        name: target.name,
        step: ckpt.step,
        model: kind,
        graph,
        batchSize,
        out: outPath,
        bytes: exported.bytes,
        inputs: exported.inputs,
        outputs: exported.outputs,
        from: exported.from,
        weights: group,
      };
      if (json) {
        out.json(result);
        return 0;
      }
      out.line(`Exported ${kind} graph '${graph}' from ${target.name} (step ${ckpt.step}${group === "ema" ? ", EMA weights" : ""}) to ${outPath}`);
      out.line(`  ${formatBytes(result.bytes)} · batch size ${batchSize} · inputs: ${result.inputs.join(", ")} · outputs: ${result.outputs.join(", ")}`);
      return 0;
    } finally {
      await target.store.close();
    }
  },
};
