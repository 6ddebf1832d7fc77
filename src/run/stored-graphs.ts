/**
 * A run's model graphs on disk, beside its checkpoints: each of the model's graphs (at batch size 1
 * for export, and at the sizes its previews run) as ONNX without weights, written once:
 *
 *   DIR/graphs/<sha256>.onnx    named by the SHA-256 of its bytes, checked on every read
 *
 * Each checkpoint's state.json lists the graphs that were current when it was saved (name, batch
 * size, inputs, outputs, parameters, hash). With the checkpoint's weights that is the trained model
 * — `nbresume export`, `inspect` and previews work without the code that defined the model.
 * Files are written atomically and fsync'd before any checkpoint refers to them; retention never
 * removes them (they are small and shared by every checkpoint of the run). They are blobs of the
 * run's storage (a directory, or s3://bucket/prefix; a mirrored store copies them to its bucket).
 */
import { withRunBlobs } from "./run-files.js";
import { joinLocation } from "../checkpoint/storage/location.js";
import type { BlobStore } from "../checkpoint/storage/storage.js";
import { NbresumeError } from "../errors.js";
import { buildModelGraph, sha256Hex, type ModelGraphRecord, type TensorSpecJson } from "../engine/model-graph.js";
import type { Model } from "../engine/nn/model.js";
import { isDType } from "../tensor.js";
import { graphKey, type GraphSource } from "./preview-graphs.js";
import type { PreviewGraphNeed } from "./previews/preview-kind.js";

export const GRAPHS_DIR = "graphs";
/** A stored graph larger than this is refused when read (graphs hold no weights: the UNet's is ~100 KB). */
const MAX_GRAPH_BYTES = 256 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

export const StoredGraphErrorCode = {
  /** A checkpoint names a stored graph that is not in the run's graphs/ directory. */
  MISSING: "RUN_GRAPH_MISSING",
  /** A stored graph's bytes do not hash to its name, or the record is malformed. */
  DAMAGED: "RUN_GRAPH_DAMAGED",
} as const;

/** The blob name of a stored graph. */
export function graphBlob(sha256: string): string {
  return `${GRAPHS_DIR}/${sha256}.onnx`;
}

export function graphFile(root: string, sha256: string): string {
  return joinLocation(root, graphBlob(sha256));
}

/** The graphs of a run's model, built on first use and written to DIR/graphs/ in the background. */
export class ModelGraphStore {
  private readonly built = new Map<string, { bytes: Uint8Array; record: ModelGraphRecord }>();
  private readonly written = new Set<string>();
  private readonly onDisk = new Set<string>();
  private pending: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined; // boxed: anything can be thrown, even undefined

  constructor(
    private readonly root: string,
    private readonly model: Model<never>,
  ) {}

  /** The graph for a preview (built now if new), as bytes to bake weights into. */
  source(need: PreviewGraphNeed): GraphSource {
    const b = this.build(need.graph, need.batchSize);
    return { bytes: b.bytes, parameters: b.record.parameters };
  }

  /** Every graph the model declares at batch size 1 (what `nbresume export` writes by default). */
  buildAll(): void {
    for (const name of Object.keys(this.model.graphs ?? {})) this.build(name, 1);
  }

  /** The records of every graph built so far and on disk (flush() first), for a checkpoint's state. */
  records(): ModelGraphRecord[] {
    return [...this.built.values()].map((b) => b.record).filter((r) => this.onDisk.has(r.sha256));
  }

  /** Waits until every graph built so far is on disk; rethrows the first write failure. */
  async flush(): Promise<void> {
    await this.pending;
    if (this.failure !== undefined) {
      const f = this.failure;
      this.failure = undefined;
      throw f.error;
    }
  }

  private build(graph: string, batchSize: number): { bytes: Uint8Array; record: ModelGraphRecord } {
    const key = graphKey(graph, batchSize);
    let b = this.built.get(key);
    if (b === undefined) {
      b = buildModelGraph(this.model, graph, batchSize);
      this.built.set(key, b);
      this.persist(b.bytes, b.record.sha256);
    }
    return b;
  }

  private persist(bytes: Uint8Array, sha: string): void {
    if (this.written.has(sha)) return;
    this.written.add(sha);
    this.pending = this.pending.then(async () => {
      try {
        await withRunBlobs(this.root, async (blobs) => {
          // Same name, same bytes: a file already there (an earlier run of this dir) is checked, not rewritten.
          const present = await blobs.get(graphBlob(sha), MAX_GRAPH_BYTES).then(
            (b) => sha256Hex(b) === sha,
            () => false,
          );
          if (!present) await blobs.put(graphBlob(sha), bytes, { durable: true });
        });
        this.onDisk.add(sha);
      } catch (error) {
        this.written.delete(sha);
        this.failure ??= { error };
      }
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function specs(v: unknown): Record<string, TensorSpecJson> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, TensorSpecJson> = {};
  for (const [k, s] of Object.entries(v)) {
    if (!isObject(s) || !isDType(s["dtype"]) || !Array.isArray(s["shape"]) || !s["shape"].every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      return undefined;
    out[k] = { dtype: s["dtype"], shape: s["shape"] as number[] };
  }
  return out;
}

/** The stored-graph records of a checkpoint's state (untrusted JSON); malformed ones are left out. */
export function parseGraphRecords(value: unknown): ModelGraphRecord[] {
  if (!Array.isArray(value)) return [];
  const out: ModelGraphRecord[] = [];
  for (const r of value) {
    if (!isObject(r)) continue;
    const { graph, batchSize, sha256, bytes, parameters } = r;
    const inputs = specs(r["inputs"]);
    const outputs = specs(r["outputs"]);
    if (typeof graph !== "string" || !Number.isSafeInteger(batchSize) || (batchSize as number) < 1 || typeof sha256 !== "string" || !SHA256.test(sha256))
      continue;
    if (
      !Number.isSafeInteger(bytes) ||
      !Array.isArray(parameters) ||
      !parameters.every((p) => typeof p === "string") ||
      inputs === undefined ||
      outputs === undefined
    )
      continue;
    out.push({ graph, batchSize: batchSize as number, sha256, bytes: bytes as number, inputs, outputs, parameters: parameters });
  }
  return out;
}

/** A stored graph's bytes, checked against its record's hash: from the run's directory (or URL), or its store's blobs. */
export async function readStoredGraph(root: string | BlobStore, record: ModelGraphRecord): Promise<Uint8Array> {
  const file = typeof root === "string" ? graphFile(root, record.sha256) : root.locate(graphBlob(record.sha256));
  let bytes: Uint8Array;
  try {
    bytes =
      typeof root === "string"
        ? await withRunBlobs(root, (blobs) => blobs.get(graphBlob(record.sha256), MAX_GRAPH_BYTES))
        : await root.get(graphBlob(record.sha256), MAX_GRAPH_BYTES);
  } catch (cause) {
    throw new NbresumeError(
      StoredGraphErrorCode.MISSING,
      `The model graph '${record.graph}' (batch ${record.batchSize}) that the checkpoint refers to cannot be read from ${file} (${(cause as Error).message}). The run's graphs/ directory was removed or moved: it belongs beside the checkpoints.`,
      { where: file, cause },
    );
  }
  if (sha256Hex(bytes) !== record.sha256) {
    throw new NbresumeError(
      StoredGraphErrorCode.DAMAGED,
      `The stored model graph ${file} is damaged: its bytes do not hash to its name. Export from another run, or from the model's code with exportOnnx().`,
      { where: file },
    );
  }
  return bytes;
}
