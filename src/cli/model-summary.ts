/**
 * The model a checkpoint describes, for `inspect`: state.json "model" as the run writes it
 * ({ fingerprint, graphs: [{ graph, batchSize, sha256, bytes, inputs, outputs, parameters }],
 * previews: [{ kind, settings }] }), read as every reader reads it (recorded-run.ts), and each stored graph checked where
 * the run keeps it (graphs/<sha256>.onnx beside the checkpoints, on any storage): present, its
 * SHA-256 its name, and a valid ONNX model.
 */
import { ownValue } from "../checkpoint/manifest.js";
import { readRecordedRun } from "../checkpoint/recorded-run.js";
import type { BlobStore } from "../checkpoint/storage/storage.js";
import type { CheckpointState } from "../checkpoint/store.js";
import { describeOnnxModel } from "../engine/graph/onnx-model.js";
import { sha256Hex, type TensorSpecJson } from "../engine/model-graph.js";
import { graphBlob, parseGraphRecords } from "../run/stored-graphs.js";
import { formatShape } from "./format.js";

/** A stored graph file larger than this is not read (graphs hold no weights). */
const MAX_GRAPH_BYTES = 256 * 1024 * 1024;

export type GraphStatus =
  | { kind: "ok"; nodes: number }
  | { kind: "missing" }
  | { kind: "damaged"; sha256: string }
  | { kind: "invalid"; detail: string }
  | { kind: "unreadable"; detail: string };

export interface StoredGraphSummary {
  graph: string;
  batchSize: number;
  sha256: string;
  bytes: number;
  inputs: Record<string, TensorSpecJson>;
  outputs: Record<string, TensorSpecJson>;
  parameters: number;
  /** Where the graph file is (a path or URL). */
  file: string;
  status: GraphStatus;
}

export interface ModelSummary {
  fingerprint: string | null;
  graphs: StoredGraphSummary[];
  previews: { kind: string; settings: Record<string, unknown> }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

async function check(blobs: BlobStore, sha256: string): Promise<GraphStatus> {
  let bytes: Uint8Array;
  try {
    bytes = await blobs.get(graphBlob(sha256), MAX_GRAPH_BYTES);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return { kind: "missing" };
    return { kind: "unreadable", detail: error instanceof Error ? error.message : String(error) };
  }
  const actual = sha256Hex(bytes);
  if (actual !== sha256) return { kind: "damaged", sha256: actual };
  try {
    return { kind: "ok", nodes: describeOnnxModel(bytes, `graphs/${sha256}.onnx`).nodes };
  } catch (error) {
    return { kind: "invalid", detail: error instanceof Error ? error.message : String(error) };
  }
}

/** The model section of a checkpoint's state; null when the state records none. */
export async function describeModel(state: CheckpointState | undefined, blobs: BlobStore): Promise<ModelSummary | null> {
  const model = state === undefined ? undefined : readRecordedRun(state).model;
  if (model === undefined) return null;
  const graphs: StoredGraphSummary[] = [];
  for (const r of parseGraphRecords(model.graphs)) {
    graphs.push({
      graph: r.graph,
      batchSize: r.batchSize,
      sha256: r.sha256,
      bytes: r.bytes,
      inputs: { ...r.inputs },
      outputs: { ...r.outputs },
      parameters: r.parameters.length,
      file: blobs.locate(graphBlob(r.sha256)),
      status: await check(blobs, r.sha256),
    });
  }
  const previews = model.previews.flatMap((p) => {
    if (typeof ownValue(p, "kind") !== "string") return [];
    const settings = ownValue(p, "settings");
    return [{ kind: ownValue(p, "kind") as string, settings: isObject(settings) ? { ...settings } : {} }];
  });
  return { fingerprint: model.fingerprint ?? null, graphs, previews };
}

/** "x float32 [1, 784] · y int64 [1]". */
export function formatSpecs(specs: Readonly<Record<string, TensorSpecJson>>): string {
  const entries = Object.entries(specs);
  return entries.length === 0 ? "(none)" : entries.map(([name, s]) => `${name} ${s.dtype} ${formatShape(s.shape)}`).join(" · ");
}

export function graphStatusText(status: GraphStatus): string {
  switch (status.kind) {
    case "ok":
      return `verified (SHA-256 matches its name, ${status.nodes} nodes)`;
    case "missing":
      return "MISSING (export needs it; the run writes it again on its next save)";
    case "damaged":
      return `DAMAGED (its SHA-256 is ${status.sha256.slice(0, 16)}…, not its name)`;
    case "invalid":
      return `INVALID (${status.detail})`;
    case "unreadable":
      return `UNREADABLE (${status.detail})`;
  }
}
