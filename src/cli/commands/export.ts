/** `nbresume export CKPT --out FILE.onnx`: the trained model as a standalone inference ONNX file. */
import * as path from "node:path";
import { promises as fsp } from "node:fs";
import { NbresumeError, isNbresumeError } from "../../errors.js";
import { formatBytes } from "../../run/format.js";
import { countOption } from "../args.js";
import type { Command } from "../command.js";
import { CliErrorCode, messages } from "../messages.js";
import { CHECKPOINT_OPTIONS, openCheckpoint, parseMetricOption } from "../target.js";
import { UsageError } from "../usage-error.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The model config a checkpoint recorded: the training session's (state.training.model as the run
 * saves it, or state.model as a bare stateDict().state), else the run config's state.config.model.
 */
function recordedModelConfig(state: Record<string, unknown>): Record<string, unknown> | undefined {
  const training = isObject(state["training"]) ? state["training"]["model"] : undefined;
  const config = isObject(state["config"]) ? state["config"]["model"] : undefined;
  for (const candidate of [training, state["model"], config]) {
    if (isObject(candidate) && typeof candidate["kind"] === "string") return candidate;
  }
  return undefined;
}

export const exportCommand: Command = {
  name: "export",
  summary: "write the trained model as a standalone inference ONNX file",
  args: "CKPT --out FILE.onnx",
  positionals: { min: 1, max: 1 },
  description:
    "Rebuilds the model that trained the checkpoint from the model config it recorded (state.json\n" +
    "\"training.model\", \"model\" or \"config.model\", with its \"kind\"), bakes the checkpoint's \"model\"\n" +
    "tensors in as initializers and writes one of the model's graphs (default \"predict\", or the only one)\n" +
    "as an ONNX file that plain onnxruntime runs: no optimizer state, no training inputs, static shapes for\n" +
    "--batch-size. The file is replaced atomically.\n" +
    "CKPT is a checkpoint directory, or a checkpoint root with --ref (default auto: the newest that verifies).",
  options: [
    { name: "out", type: "string", value: "FILE.onnx", description: "where to write the ONNX model (required)" },
    { name: "graph", type: "string", value: "NAME", description: "which of the model's graphs to export (default predict)" },
    { name: "batch-size", type: "string", value: "N", description: "the exported graph's batch size (default 1)" },
    ...CHECKPOINT_OPTIONS,
  ],
  json: true,
  examples: ["nbresume export runs/mlp --out mlp.onnx --batch-size 64", "nbresume export runs/mnist --out denoiser.onnx --graph sample"],

  async run({ positionals, options, json, out }) {
    const file = options["out"];
    if (typeof file !== "string") throw new UsageError(messages.missingOption("out", "FILE.onnx"), "export");
    const outPath = path.resolve(file);
    if (!(await fsp.stat(path.dirname(outPath)).then((s) => s.isDirectory(), () => false))) throw new UsageError(messages.badOutPath(file), "export");
    const batchSize = countOption(options, "batch-size", "export") ?? 1;
    if (batchSize === 0) throw new UsageError(messages.notAPositiveCount("batch-size", "0"), "export");
    const target = await openCheckpoint({
      arg: positionals[0] as string, ref: options["ref"] as string | undefined,
      bestMetric: parseMetricOption(options["metric"] as string | undefined, "export"), verified: true, load: true, command: "export",
    });
    try {
      for (const s of target.skipped) out.note(messages.skipped(s.name, s.problem, target.name));
      const ckpt = target.loaded!;
      const config = recordedModelConfig(ckpt.state);
      if (!config) throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportNoModelConfig(target.path), { where: target.path });
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
          throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportUnknownModel(kind, registeredModelKinds()), { where: target.path, cause: error });
        }
        // The model's own argument checks; anything else is ours.
        if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
        throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportBadModelConfig(target.path, (error as Error).message), { where: target.path, cause: error });
      }
      const parameters = ckpt.tensors["model"];
      if (!parameters) throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportNoParameters(target.path, Object.keys(ckpt.tensors)), { where: target.path });
      const graphs = Object.keys(model.graphs ?? {});
      const graph = (options["graph"] as string | undefined) ?? (graphs.includes("predict") ? "predict" : graphs.length === 1 ? graphs[0] : undefined);
      if (graph === undefined || !graphs.includes(graph)) {
        if (options["graph"] !== undefined) throw new UsageError(messages.exportUnknownGraph(graph ?? "", graphs), "export");
        throw new NbresumeError(CliErrorCode.EXPORT_UNSUPPORTED, messages.exportNoGraph(graphs), { where: target.path });
      }
      let exported;
      try {
        exported = await exportOnnx(model, parameters, outPath, {
          graph, batchSize, description: `nbresume export of ${kind} graph '${graph}' from ${target.name} (step ${ckpt.step})`,
        });
      } catch (error) {
        if (error instanceof RangeError) {
          throw new NbresumeError(CliErrorCode.EXPORT_MISMATCH, messages.exportParameterMismatch(error.message), { where: target.path, cause: error });
        }
        throw error;
      }
      const result = {
        checkpoint: target.path, name: target.name, step: ckpt.step, model: kind, graph, batchSize,
        out: outPath, bytes: exported.bytes.byteLength, inputs: exported.inputs, outputs: exported.outputs,
      };
      if (json) {
        out.json(result);
        return 0;
      }
      out.line(`Exported ${kind} graph '${graph}' from ${target.name} (step ${ckpt.step}) to ${outPath}`);
      out.line(`  ${formatBytes(result.bytes)} · batch size ${batchSize} · inputs: ${result.inputs.join(", ")} · outputs: ${result.outputs.join(", ")}`);
      return 0;
    } finally {
      await target.store.close();
    }
  },
};
