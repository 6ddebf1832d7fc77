/**
 * Warm start (initFrom): a run that starts from scratch takes its initial weights, by parameter
 * name, from a .safetensors file, a checkpoint directory (its "model" group), or an .onnx file
 * (its float32 initializers, as `nbresume export` writes them). Strict by default: every
 * parameter must be found with its shape and every tensor of the file used; `strict: false`
 * loads what fits and keeps the fresh initial value of the rest. Either way every unmatched,
 * missing or wrong-shaped tensor is listed.
 *
 * The file is untrusted input: safetensors goes through the checked reader, ONNX through the
 * bounds-checked protobuf reader (proto-reader.ts); a tensor whose bytes do not match its shape is
 * refused.
 */
import { readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { Batch } from "../engine/data/batch.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { parseSafetensors } from "../checkpoint/safetensors/index.js";
import { fieldString, nestedFields, ProtoFormatError, readFields, readVarint, WIRE, type ProtoField } from "../engine/graph/proto-reader.js";
import { G, M } from "../engine/graph/serialize.js";
import { NbresumeError } from "../errors.js";
import { elementCount, type Tensor, type TensorGroup } from "../tensor.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";

export type InitSourceKind = "safetensors" | "checkpoint" | "onnx";

export interface WarmStartReport {
  readonly source: string;
  readonly kind: InitSourceKind;
  /** Parameters given their value from the file. */
  readonly loaded: readonly string[];
  /** Parameters the file does not have (they keep their fresh initial value). */
  readonly missing: readonly string[];
  /** Tensors of the file no parameter has. */
  readonly unused: readonly string[];
  /** Parameters the file has with another shape or dtype (fresh initial value kept). */
  readonly mismatched: readonly { readonly name: string; readonly expected: string; readonly found: string }[];
}

function describe(t: { dtype: string; shape: readonly number[] }): string {
  return `${t.dtype}[${t.shape.join(", ")}]`;
}

/** The tensors a warm start can take from `file`. */
export async function readInitTensors(file: string): Promise<{ tensors: TensorGroup; kind: InitSourceKind }> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) throw new NbresumeError(RunErrorCode.INIT_FAILED, msg.initMissing(file), { where: file });
  if (info.isDirectory()) {
    const store = await CheckpointStore.open(path.dirname(file), { readOnly: true });
    try {
      const loaded = await store.load(file);
      const model = loaded.tensors["model"];
      if (model === undefined) throw new NbresumeError(RunErrorCode.INIT_FAILED, msg.initNoModelGroup(file, Object.keys(loaded.tensors)), { where: file });
      return { tensors: model, kind: "checkpoint" };
    } finally {
      await store.close();
    }
  }
  const bytes = new Uint8Array(await readFile(file));
  try {
    if (file.endsWith(".onnx")) return { tensors: onnxInitializers(bytes, file), kind: "onnx" };
    return { tensors: parseSafetensors(bytes, file).tensors, kind: "safetensors" };
  } catch (error) {
    if (error instanceof NbresumeError) throw error;
    throw new NbresumeError(RunErrorCode.INIT_FAILED, msg.initUnreadable(file, error instanceof Error ? error.message : String(error)), {
      where: file,
      cause: error,
    });
  }
}

/**
 * `current` (the fresh parameters) with every parameter the source has, by name, replaced. Strict:
 * any missing, unused or mismatched tensor throws RUN_INIT_MISMATCH listing them all.
 */
export function warmStart(
  current: TensorGroup,
  source: TensorGroup,
  options: { file: string; kind: InitSourceKind; strict: boolean },
): { parameters: TensorGroup; report: WarmStartReport } {
  const parameters: Record<string, Tensor> = {};
  const loaded: string[] = [];
  const missing: string[] = [];
  const mismatched: { name: string; expected: string; found: string }[] = [];
  for (const [name, t] of Object.entries(current)) {
    const s = Object.hasOwn(source, name) ? source[name] : undefined;
    if (s === undefined) {
      missing.push(name);
      parameters[name] = t;
    } else if (s.dtype !== t.dtype || s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) {
      mismatched.push({ name, expected: describe(t), found: describe(s) });
      parameters[name] = t;
    } else {
      loaded.push(name);
      parameters[name] = { dtype: "float32", shape: t.shape, data: Float32Array.from(s.data as Float32Array) };
    }
  }
  const unused = Object.keys(source).filter((name) => !Object.hasOwn(current, name));
  const report: WarmStartReport = { source: options.file, kind: options.kind, loaded, missing, unused, mismatched };
  if (loaded.length === 0 || (options.strict && (missing.length > 0 || unused.length > 0 || mismatched.length > 0))) {
    throw new NbresumeError(RunErrorCode.INIT_MISMATCH, msg.initMismatch(report), { where: options.file });
  }
  return { parameters, report };
}

// onnx.proto: TensorProto fields read here.
const T = { dims: 1, dataType: 2, floatData: 4, name: 8, rawData: 9, dataLocation: 14 } as const;
const FLOAT = 1;

/** Every float32 initializer of an ONNX model, by name (other dtypes are listed with their dtype number, unusable). */
function onnxInitializers(bytes: Uint8Array, file: string): TensorGroup {
  const out: Record<string, Tensor> = {};
  const guarded = <R>(read: () => R): R => {
    try {
      return read();
    } catch (error) {
      if (error instanceof ProtoFormatError) throw new RangeError(`not a valid ONNX model (${error.message})`);
      throw error;
    }
  };
  guarded(() => {
    const graphs = readFields(bytes).filter((f) => f.field === M.graph);
    if (graphs.length !== 1) throw new RangeError(`expected one graph, found ${graphs.length}`);
    for (const f of nestedFields(bytes, graphs[0]!)) {
      if (f.field !== G.initializer) continue;
      const t = tensorProto(bytes, f);
      if (t !== undefined) out[t.name] = t.tensor;
    }
  });
  if (Object.keys(out).length === 0) throw new RangeError(`${file} has no float32 initializers (weights) to start from`);
  return out;
}

function tensorProto(bytes: Uint8Array, f: ProtoField): { name: string; tensor: Tensor } | undefined {
  const dims: number[] = [];
  let dataType = 0;
  let name = "";
  let raw: Uint8Array | undefined;
  let floats: number[] | undefined;
  for (const x of nestedFields(bytes, f)) {
    if (x.field === T.dims) {
      if (x.wire === WIRE.varint) dims.push(x.value);
      else
        for (let pos = x.payload; pos < x.end;) {
          const [v, next] = readVarint(bytes, pos, x.end);
          dims.push(v);
          pos = next;
        }
    } else if (x.field === T.dataType && x.wire === WIRE.varint) dataType = x.value;
    else if (x.field === T.name) name = fieldString(bytes, x);
    else if (x.field === T.rawData && x.wire === WIRE.length) raw = bytes.subarray(x.payload, x.end);
    else if (x.field === T.floatData && x.wire === WIRE.length) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + x.payload, x.end - x.payload);
      floats = [];
      for (let i = 0; i + 4 <= view.byteLength; i += 4) floats.push(view.getFloat32(i, true));
    } else if (x.field === T.dataLocation && x.wire === WIRE.varint && x.value === 1) {
      throw new RangeError(`the initializer '${name || "(unnamed)"}' keeps its data in an external file, which nbresume does not read`);
    }
  }
  if (dataType !== FLOAT || name === "") return undefined;
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RangeError(`the initializer '${name}' has a bad shape [${dims.join(", ")}]`);
  const count = elementCount(dims);
  const data = new Float32Array(count);
  if (raw !== undefined) {
    if (raw.byteLength !== count * 4) throw new RangeError(`the initializer '${name}' has ${raw.byteLength} bytes of data for ${count} float32 values`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
  } else if (floats !== undefined) {
    if (floats.length !== count) throw new RangeError(`the initializer '${name}' has ${floats.length} values for ${count} elements`);
    data.set(floats);
  } else if (count > 0) {
    throw new RangeError(`the initializer '${name}' has no data`);
  }
  return { name, tensor: { dtype: "float32", shape: dims, data } };
}

/** Loads `init`'s weights into a fresh session (its optimizer state and step unchanged); what was loaded and what not. */
export async function initSession(session: TrainingSession<Batch>, init: { readonly path: string; readonly strict: boolean }): Promise<WarmStartReport> {
  const source = await readInitTensors(init.path);
  const { parameters, report } = warmStart(session.parameters(), source.tensors, { file: init.path, kind: source.kind, strict: init.strict });
  const dict = session.stateDict();
  session.loadStateDict({ tensors: { model: parameters, optimizer: dict.tensors.optimizer }, state: dict.state });
  return report;
}
