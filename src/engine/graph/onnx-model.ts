/**
 * Reading and completing ONNX models at the byte level: what a stored model graph is (its inputs,
 * outputs, nodes) and the same graph with trained weights baked in.
 *
 * A run stores each of its model's graphs once with the parameters as graph inputs (no weights),
 * so a checkpoint describes its own model: `nbresume export`, previews and the sampler thread turn
 * graph + checkpoint into a runnable model without the code that defined the model. Baking moves
 * each parameter from the graph's inputs to its initializers (onnxruntime prepacks constant
 * weights: a diffusion grid sampled twice as fast that way than with weights fed as inputs); every
 * other field is copied byte for byte.
 *
 * The bytes come from disk: proto-reader.ts bounds-checks every length; a model that is not what
 * it claims throws OnnxModelError (a RangeError naming what is wrong).
 */
import { graphMessages as msg } from "./messages.js";
import { DTYPES, elementCount, type DType, type Tensor, type TensorGroup } from "../../tensor.js";
import { ProtoFormatError, fieldString, nestedFields, readFields, WIRE, type ProtoField } from "./proto-reader.js";
import { ProtoWriter } from "./proto-writer.js";
import { ELEM_TYPE, G, M, writeTensor } from "./serialize.js";

export class OnnxModelError extends RangeError {
  override readonly name = "OnnxModelError";
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly dtype: DType;
  /** Static dims; a symbolic or missing dim is -1. */
  readonly shape: readonly number[];
}

export interface OnnxModelInfo {
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers: readonly string[];
  readonly nodes: number;
  readonly opTypes: readonly string[];
  readonly docString: string;
}

const DTYPE_OF = new Map<number, DType>(DTYPES.map((d) => [ELEM_TYPE[d], d]));

// onnx.proto field numbers read here (serialize.ts has those it writes).
const VI = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1 } as const;
const TENSOR = { name: 8 } as const;
const NODE = { opType: 4 } as const;

function guarded<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ProtoFormatError) throw new OnnxModelError(msg.notOnnxModel(what, error.message));
    throw error;
  }
}

function only(fields: readonly ProtoField[], field: number, what: string): ProtoField {
  const found = fields.filter((f) => f.field === field);
  if (found.length !== 1) throw new OnnxModelError(msg.notExactlyOne(what, found.length));
  return found[0]!;
}

function valueInfo(bytes: Uint8Array, f: ProtoField): OnnxValueInfo {
  const fields = nestedFields(bytes, f);
  const nameField = fields.find((x) => x.field === VI.name);
  const name = nameField === undefined ? "" : fieldString(bytes, nameField);
  const typeField = fields.find((x) => x.field === VI.type);
  let dtype: DType | undefined;
  const shape: number[] = [];
  if (typeField !== undefined) {
    const tensorType = nestedFields(bytes, typeField).find((x) => x.field === TYPE.tensorType);
    if (tensorType !== undefined) {
      for (const t of nestedFields(bytes, tensorType)) {
        if (t.field === TENSOR_TYPE.elemType && t.wire === WIRE.varint) dtype = DTYPE_OF.get(t.value);
        if (t.field === TENSOR_TYPE.shape) {
          for (const d of nestedFields(bytes, t)) {
            if (d.field !== SHAPE.dim) continue;
            const value = nestedFields(bytes, d).find((x) => x.field === DIM.value && x.wire === WIRE.varint);
            shape.push(value === undefined ? -1 : value.value);
          }
        }
      }
    }
  }
  if (dtype === undefined) throw new OnnxModelError(msg.unknownTensorType(name));
  return { name, dtype, shape };
}

/** What a model holds: inputs, outputs, initializer names, node count and op types. */
export function describeOnnxModel(bytes: Uint8Array, what = "the model"): OnnxModelInfo {
  return guarded(what, () => {
    const top = readFields(bytes);
    const graph = only(top, M.graph, `${what} has no single graph`);
    const doc = top.find((f) => f.field === M.docString);
    const inputs: OnnxValueInfo[] = [];
    const outputs: OnnxValueInfo[] = [];
    const initializers: string[] = [];
    const opTypes = new Set<string>();
    let nodes = 0;
    for (const f of nestedFields(bytes, graph)) {
      if (f.field === G.input) inputs.push(valueInfo(bytes, f));
      else if (f.field === G.output) outputs.push(valueInfo(bytes, f));
      else if (f.field === G.initializer) {
        const name = nestedFields(bytes, f).find((x) => x.field === TENSOR.name);
        initializers.push(name === undefined ? "" : fieldString(bytes, name));
      } else if (f.field === G.node) {
        nodes++;
        const op = nestedFields(bytes, f).find((x) => x.field === NODE.opType);
        if (op !== undefined) opTypes.add(fieldString(bytes, op));
      }
    }
    return { inputs, outputs, initializers, nodes, opTypes: [...opTypes].sort(), docString: doc === undefined ? "" : fieldString(bytes, doc) };
  });
}

function sameDims(declared: readonly number[], actual: readonly number[]): boolean {
  return declared.length === actual.length && declared.every((d, i) => d === actual[i]);
}

export interface BakeOptions {
  /** Replaces the model's doc_string. */
  readonly docString?: string;
  /** Names the model in errors ("graph 'predict' of runs/x"). */
  readonly what?: string;
}

/**
 * The model with each named parameter moved from the graph's inputs to its initializers, holding
 * `values[name]`. Every parameter must be a float32 graph input of the value's shape; nothing else
 * changes. Throws OnnxModelError naming the first parameter that does not fit.
 */
export function bakeParameters(bytes: Uint8Array, parameters: readonly string[], values: TensorGroup, options: BakeOptions = {}): Uint8Array {
  const what = options.what ?? "the model";
  return guarded(what, () => {
    const top = readFields(bytes);
    const graph = only(top, M.graph, `${what} has no single graph`);
    const wanted = new Set(parameters);
    const graphFields = nestedFields(bytes, graph);
    const kept: ProtoField[] = [];
    const found = new Map<string, OnnxValueInfo>();
    for (const f of graphFields) {
      if (f.field === G.input) {
        const info = valueInfo(bytes, f);
        if (wanted.has(info.name)) {
          found.set(info.name, info);
          continue;
        }
      }
      kept.push(f);
    }
    const tensors: [string, Tensor][] = parameters.map((name) => {
      const input = found.get(name);
      if (input === undefined) throw new OnnxModelError(msg.noParameterInput(what, name));
      const t = values[name];
      if (t === undefined) throw new OnnxModelError(msg.parameterNotInWeights(what, name));
      if (t.dtype !== input.dtype || !sameDims(input.shape, t.shape) || t.data.length !== elementCount(t.shape)) {
        throw new OnnxModelError(msg.parameterMismatch(what, name, input, t));
      }
      return [name, t];
    });

    let size = bytes.byteLength + 64;
    for (const [, t] of tensors) size += t.data.byteLength + 64;
    const w = new ProtoWriter(size);
    if (options.docString !== undefined && !top.some((f) => f.field === M.docString)) w.string(M.docString, options.docString);
    for (const f of top) {
      if (f.field === M.graph) {
        const start = w.begin();
        for (const g of kept) w.raw(bytes.subarray(g.start, g.end));
        for (const [name, t] of tensors) writeTensor(w, G.initializer, name, t);
        w.end(M.graph, start);
      } else if (f.field === M.docString && options.docString !== undefined) {
        w.string(M.docString, options.docString);
      } else {
        w.raw(bytes.subarray(f.start, f.end));
      }
    }
    return w.finish();
  });
}
