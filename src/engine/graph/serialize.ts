/**
 * GraphBuilder → ONNX ModelProto bytes (opset 21, IR 10), written with proto-writer.ts.
 * Only nodes the outputs depend on are written; every declared input is kept so feeds stay stable.
 */
import { graphMessages as msg } from "./messages.js";
import type { DType, Tensor } from "../../tensor.js";
import type { GraphBuilder } from "./graph-builder.js";
import { getOpSchema } from "./op-schema.js";
import { ProtoWriter } from "./proto-writer.js";
import type { AttributeValue, Node, Value } from "./value.js";

export const OPSET = 21;
export const IR_VERSION = 10;

export const ELEM_TYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

export function onnxElementType(dtype: DType): number {
  return ELEM_TYPE[dtype];
}

export interface SerializeOptions {
  producerVersion?: string;
  docString?: string;
}

export function serializeGraph(g: GraphBuilder, options: SerializeOptions = {}): Uint8Array {
  const live = liveNodes(g);
  const used = new Set<Value>();
  for (const n of live) for (const v of n.inputs) if (v !== undefined) used.add(v);
  for (const o of g.outputs) used.add(o.value);
  const domains = new Set(live.map((n) => n.domain).filter((d) => d !== ""));

  // Fields in field-number order, as protobuf encoders write them (the tests compare the bytes).
  const w = new ProtoWriter(estimateBytes(g));
  w.int(M.irVersion, IR_VERSION);
  w.string(M.producerName, "nbresume");
  w.string(M.producerVersion, options.producerVersion ?? "");
  w.string(M.docString, options.docString ?? "");
  const graph = w.begin();
  for (const n of live) writeNode(w, n);
  w.string(G.name, g.name);
  for (const v of g.initializers) if (used.has(v)) writeTensor(w, G.initializer, v.name, v.constant!);
  for (const v of g.inputs) writeValueInfo(w, G.input, v);
  for (const o of g.outputs) writeValueInfo(w, G.output, o.value);
  w.end(M.graph, graph);
  writeOpset(w, "", OPSET);
  for (const domain of domains) writeOpset(w, domain, 1);
  return w.finish();
}

/** Nodes some output depends on, in creation (topological) order. */
export function liveNodes(g: GraphBuilder): Node[] {
  const needed = new Set<Node>();
  const stack: Value[] = g.outputs.map((o) => o.value);
  while (stack.length > 0) {
    const v = stack.pop()!;
    const n = v.producer;
    if (n === undefined || needed.has(n)) continue;
    needed.add(n);
    for (const i of n.inputs) if (i !== undefined) stack.push(i);
  }
  return g.nodes.filter((n) => needed.has(n));
}

// Field numbers from onnx.proto (opset 21 / IR 10), for the messages and fields written here.
export const M = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8 } as const;
const OPSET_ID = { domain: 1, version: 2 } as const;
export const G = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const N = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const A = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, strings: 9, type: 20 } as const;
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;
const T = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const VI = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { dimValue: 1 } as const;

/** A first guess at the model's size: its initializers plus ~100 bytes a node. */
function estimateBytes(g: GraphBuilder): number {
  let bytes = 4096 + 128 * g.nodes.length;
  for (const v of g.initializers) bytes += v.constant!.data.byteLength + 64;
  return bytes;
}

function writeOpset(w: ProtoWriter, domain: string, version: number): void {
  const start = w.begin();
  w.string(OPSET_ID.domain, domain);
  w.int(OPSET_ID.version, version);
  w.end(M.opsetImport, start);
}

function writeValueInfo(w: ProtoWriter, field: number, v: Value): void {
  const info = w.begin();
  w.string(VI.name, v.name);
  const type = w.begin();
  const tensorType = w.begin();
  w.int(TENSOR_TYPE.elemType, ELEM_TYPE[v.dtype]);
  const shape = w.begin();
  for (const d of v.shape) {
    const dim = w.begin();
    w.int(DIM.dimValue, d);
    w.end(SHAPE.dim, dim);
  }
  w.end(TENSOR_TYPE.shape, shape);
  w.end(TYPE.tensorType, tensorType);
  w.end(VI.type, type);
  w.end(field, info);
}

/** A TensorProto (dims, data type, name, raw little-endian data) as field `field` of the message being written. */
export function writeTensor(w: ProtoWriter, field: number, name: string, t: Tensor): void {
  const start = w.begin();
  for (const d of t.shape) w.int(T.dims, d);
  w.int(T.dataType, ELEM_TYPE[t.dtype]);
  w.string(T.name, name);
  w.bytes(T.rawData, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  w.end(field, start);
}

function writeNode(w: ProtoWriter, n: Node): void {
  const schema = getOpSchema(n.opType);
  const start = w.begin();
  for (const v of n.inputs) w.string(N.input, v?.name ?? "");
  for (const v of n.outputs) w.string(N.output, v.name);
  w.string(N.name, `${n.opType}_${n.id}`);
  w.string(N.opType, n.opType);
  for (const name in n.attributes) writeAttribute(w, n.opType, name, schema.attributes[name]!, n.attributes[name]!);
  w.string(N.domain, n.domain);
  w.end(G.node, start);
}

function writeAttribute(w: ProtoWriter, opType: string, name: string, kind: string, value: AttributeValue): void {
  const bad = (): never => {
    throw new TypeError(msg.badAttributeValue(opType, name, kind, value));
  };
  const start = w.begin();
  w.string(A.name, name);
  let type = 0;
  switch (kind) {
    case "int":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) bad();
      w.int(A.i, value as number);
      type = ATTR_TYPE.int;
      break;
    case "dtype":
      if (typeof value !== "string" || !(value in ELEM_TYPE)) bad();
      w.int(A.i, ELEM_TYPE[value as DType]);
      type = ATTR_TYPE.int;
      break;
    case "float":
      if (typeof value !== "number") bad();
      w.float(A.f, value as number);
      type = ATTR_TYPE.float;
      break;
    case "string":
      if (typeof value !== "string") bad();
      w.string(A.s, value as string);
      type = ATTR_TYPE.string;
      break;
    case "ints":
      if (!Array.isArray(value) || !value.every((x) => Number.isSafeInteger(x))) bad();
      for (const x of value as number[]) w.int(A.ints, x);
      type = ATTR_TYPE.ints;
      break;
    case "floats":
      if (!Array.isArray(value) || !value.every((x) => typeof x === "number")) bad();
      for (const x of value as number[]) w.float(A.floats, x);
      type = ATTR_TYPE.floats;
      break;
    case "strings":
      if (!Array.isArray(value) || !value.every((x) => typeof x === "string")) bad();
      for (const x of value as string[]) w.string(A.strings, x);
      type = ATTR_TYPE.strings;
      break;
    case "tensor":
      if (typeof value !== "object" || value === null || !("dtype" in value)) bad();
      writeTensor(w, A.t, "", value as Tensor);
      type = ATTR_TYPE.tensor;
      break;
    default:
      bad();
  }
  w.int(A.type, type);
  w.end(N.attribute, start);
}
