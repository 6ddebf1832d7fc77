/**
 * GraphBuilder → ONNX ModelProto bytes (opset 21, IR 10). The only file that imports onnx-buf.
 * Only nodes the outputs depend on are written; every declared input is kept so feeds stay stable.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType as AttrType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "onnx-buf";
import type { DType, Tensor } from "../../tensor.js";
import type { GraphBuilder } from "./graph-builder.js";
import { getOpSchema } from "./op-schema.js";
import type { AttributeValue, Node, Value } from "./value.js";

export const OPSET = 21;
export const IR_VERSION = 10n;

const ELEM_TYPE: Readonly<Record<DType, number>> = {
  float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16,
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

  const graph = create(GraphProtoSchema, {
    name: g.name,
    node: live.map(nodeProto),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map((o) => valueInfo(o.value)),
    initializer: g.initializers.filter((v) => used.has(v)).map((v) => tensorProto(v.name, v.constant!)),
  });
  const model = create(ModelProtoSchema, {
    irVersion: IR_VERSION,
    producerName: "nbresume",
    producerVersion: options.producerVersion ?? "",
    docString: options.docString ?? "",
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(OPSET) }),
      ...[...domains].map((domain) => create(OperatorSetIdProtoSchema, { domain, version: 1n })),
    ],
    graph,
  });
  return toBinary(ModelProtoSchema, model);
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

function valueInfo(v: Value): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name: v.name,
    type: create(TypeProtoSchema, {
      value: {
        case: "tensorType",
        value: create(TypeProto_TensorSchema, {
          elemType: ELEM_TYPE[v.dtype],
          shape: create(TensorShapeProtoSchema, {
            dim: v.shape.map((d) => create(TensorShapeProto_DimensionSchema, { value: { case: "dimValue", value: BigInt(d) } })),
          }),
        }),
      },
    }),
  });
}

export function tensorProto(name: string, t: Tensor): TensorProto {
  const bytes = new Uint8Array(t.data.byteLength);
  bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return create(TensorProtoSchema, {
    name,
    dims: t.shape.map((d) => BigInt(d)),
    dataType: ELEM_TYPE[t.dtype],
    rawData: bytes,
  });
}

function nodeProto(n: Node): NodeProto {
  const schema = getOpSchema(n.opType);
  return create(NodeProtoSchema, {
    name: `${n.opType}_${n.id}`,
    opType: n.opType,
    domain: n.domain,
    input: n.inputs.map((v) => v?.name ?? ""),
    output: n.outputs.map((v) => v.name),
    attribute: Object.entries(n.attributes).map(([name, value]) => attributeProto(n.opType, name, schema.attributes[name]!, value)),
  });
}

function attributeProto(opType: string, name: string, kind: string, value: AttributeValue): AttributeProto {
  const bad = (): never => {
    throw new TypeError(`${opType}: attribute '${name}' should be ${kind}, got ${JSON.stringify(value)}.`);
  };
  const text = new TextEncoder();
  switch (kind) {
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value)) bad();
      return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(value as number) });
    case "dtype":
      if (typeof value !== "string" || !(value in ELEM_TYPE)) bad();
      return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(ELEM_TYPE[value as DType]) });
    case "float":
      if (typeof value !== "number") bad();
      return create(AttributeProtoSchema, { name, type: AttrType.FLOAT, f: value as number });
    case "string":
      if (typeof value !== "string") bad();
      return create(AttributeProtoSchema, { name, type: AttrType.STRING, s: text.encode(value as string) });
    case "ints":
      if (!Array.isArray(value) || !value.every((x) => Number.isInteger(x))) bad();
      return create(AttributeProtoSchema, { name, type: AttrType.INTS, ints: (value as number[]).map((x) => BigInt(x)) });
    case "floats":
      if (!Array.isArray(value) || !value.every((x) => typeof x === "number")) bad();
      return create(AttributeProtoSchema, { name, type: AttrType.FLOATS, floats: [...(value as number[])] });
    case "strings":
      if (!Array.isArray(value) || !value.every((x) => typeof x === "string")) bad();
      return create(AttributeProtoSchema, { name, type: AttrType.STRINGS, strings: (value as string[]).map((x) => text.encode(x)) });
    case "tensor":
      if (typeof value !== "object" || value === null || !("dtype" in value)) bad();
      return create(AttributeProtoSchema, { name, type: AttrType.TENSOR, t: tensorProto("", value as Tensor) });
    default:
      return bad();
  }
}
