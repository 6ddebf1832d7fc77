/**
 * serializeGraph writes ONNX ModelProto bytes with its own protobuf writer. The oracle is
 * protobuf-es (@bufbuild/protobuf with onnx-buf's generated onnx.proto schema): the same message
 * built through it must encode to the same bytes, and our bytes must decode to that message.
 */
import { strict as assert } from "node:assert";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import * as ort from "onnxruntime-node";
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
  type TensorProto,
} from "onnx-buf";
import { ddpm } from "../../../src/engine/diffusion/ddpm-model.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { getOpSchema, registerOp } from "../../../src/engine/graph/op-schema.js";
import { ProtoWriter } from "../../../src/engine/graph/proto-writer.js";
import { IR_VERSION, OPSET, liveNodes, onnxElementType, serializeGraph } from "../../../src/engine/graph/serialize.js";
import type { AttributeValue, Value } from "../../../src/engine/graph/value.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { planLayout } from "../../../src/engine/session/parameter-layout.js";
import { buildStepGraph, declareInputs } from "../../../src/engine/session/step-graph.js";
import type { Tensor } from "../../../src/tensor.js";

/** The ModelProto serializeGraph means to write, built and encoded by protobuf-es. */
function referenceEncoding(g: GraphBuilder, docString = ""): Uint8Array {
  const text = new TextEncoder();
  const tensor = (name: string, t: Tensor): TensorProto =>
    create(TensorProtoSchema, {
      name,
      dims: t.shape.map(BigInt),
      dataType: onnxElementType(t.dtype),
      rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice(),
    });
  const attribute = (name: string, kind: string, v: AttributeValue): AttributeProto => {
    switch (kind) {
      case "int":
        return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(v as number) });
      case "dtype":
        return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(onnxElementType(v as Tensor["dtype"])) });
      case "float":
        return create(AttributeProtoSchema, { name, type: AttrType.FLOAT, f: v as number });
      case "string":
        return create(AttributeProtoSchema, { name, type: AttrType.STRING, s: text.encode(v as string) });
      case "ints":
        return create(AttributeProtoSchema, { name, type: AttrType.INTS, ints: (v as number[]).map(BigInt) });
      case "floats":
        return create(AttributeProtoSchema, { name, type: AttrType.FLOATS, floats: [...(v as number[])] });
      case "strings":
        return create(AttributeProtoSchema, { name, type: AttrType.STRINGS, strings: (v as string[]).map((s) => text.encode(s)) });
      case "tensor":
        return create(AttributeProtoSchema, { name, type: AttrType.TENSOR, t: tensor("", v as Tensor) });
      default:
        throw new Error(`no reference for attribute kind ${kind}`);
    }
  };
  const valueInfo = (v: Value) =>
    create(ValueInfoProtoSchema, {
      name: v.name,
      type: create(TypeProtoSchema, {
        value: {
          case: "tensorType",
          value: create(TypeProto_TensorSchema, {
            elemType: onnxElementType(v.dtype),
            shape: create(TensorShapeProtoSchema, {
              dim: v.shape.map((d) => create(TensorShapeProto_DimensionSchema, { value: { case: "dimValue", value: BigInt(d) } })),
            }),
          }),
        },
      }),
    });
  const live = liveNodes(g);
  const used = new Set(live.flatMap((n) => n.inputs).concat(g.outputs.map((o) => o.value)));
  const domains = [...new Set(live.map((n) => n.domain).filter((d) => d !== ""))];
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION),
    producerName: "nbresume",
    producerVersion: "",
    docString,
    opsetImport: [{ domain: "", version: BigInt(OPSET) }, ...domains.map((domain) => ({ domain, version: 1n }))].map((o) =>
      create(OperatorSetIdProtoSchema, o),
    ),
    graph: create(GraphProtoSchema, {
      name: g.name,
      node: live.map((n) =>
        create(NodeProtoSchema, {
          name: `${n.opType}_${n.id}`,
          opType: n.opType,
          domain: n.domain,
          input: n.inputs.map((v) => v?.name ?? ""),
          output: n.outputs.map((v) => v.name),
          attribute: Object.entries(n.attributes).map(([name, v]) => attribute(name, getOpSchema(n.opType).attributes[name]!, v)),
        }),
      ),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map((o) => valueInfo(o.value)),
      initializer: g.initializers.filter((v) => used.has(v)).map((v) => tensor(v.name, v.constant!)),
    }),
  });
  return toBinary(ModelProtoSchema, model);
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  assert.ok(i === actual.length && i === expected.length, `bytes differ at offset ${i} of ${actual.length} (reference: ${expected.length} bytes)`);
}

// No built-in op lives outside the default domain or takes float or string lists: one that does.
registerOp({
  opType: "SerializeTestOp",
  domain: "test.nbresume",
  attributes: { gains: "floats", labels: "strings" },
  infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: ctx.input(0).shape }],
});

describe("serializeGraph: ONNX bytes as protobuf-es would write them", () => {
  it("writes every attribute kind, negative integers, initializers, omitted inputs and a second domain", () => {
    const g = new GraphBuilder("kinds ✓"); // a non-ASCII graph name goes through the UTF-8 path
    const x = g.input("x", "float32", [2, 3, 4, 4]);
    const w = g.initializer("w", { dtype: "float32", shape: [3, 3, 1, 1], data: Float32Array.from({ length: 9 }, (_, i) => i / 7) });
    g.initializer("unused", { dtype: "float32", shape: [1], data: new Float32Array([1]) });
    const conv = g.op("Conv", [x, w, undefined], { kernel_shape: [1, 1], pads: [0, 0, 0, 0], strides: [1, 1], group: 1, auto_pad: "NOTSET" });
    const soft = g.op("Softmax", [conv], { axis: -1 });
    const big = g.op("ReduceSum", [soft, g.int64s([-1, -2])], { keepdims: 1, noop_with_empty_axes: 0 });
    const cast = g.op("Cast", [big], { to: "float64" });
    const fill = g.op("ConstantOfShape", [g.int64s([2])], { value: { dtype: "float32", shape: [1], data: new Float32Array([0.25]) } });
    const gemm = g.op("Gemm", [g.input("a", "float32", [2, 3]), g.input("b", "float32", [3, 2])], { alpha: 1.5, beta: 0.1, transA: 0, transB: 0 });
    const custom = g.op("SerializeTestOp", [gemm], { gains: [0.5, -1e-30, 3], labels: ["a", "b ✓", ""] });
    g.output(cast, "y");
    g.output(fill, "filled");
    g.output(custom, "custom");
    assert.ok(
      liveNodes(g).some((n) => n.domain !== ""),
      "the graph uses a second opset domain",
    );
    assertSameBytes(serializeGraph(g, { docString: "a doc — with UTF-8" }), referenceEncoding(g, "a doc — with UTF-8"));
  });

  it("writes the tiny UNet's training step graph (1,200+ nodes) byte for byte, and decodes to the same model", () => {
    const model = ddpm({ unet: "tiny" });
    const discover = new GraphBuilder("discover");
    const bound = createParameterScope(discover, bindAsInputs(), { training: true });
    model.loss(bound.scope, declareInputs(discover, model.inputs(4)));
    const step = buildStepGraph(model, { groups: planLayout([...bound.specs()], "flat"), inputs: model.inputs(4), optimizer: adamw({}), clipGradNorm: 1 });
    const bytes = serializeGraph(step.graph);
    const reference = referenceEncoding(step.graph);
    assertSameBytes(bytes, reference);
    const decoded = fromBinary(ModelProtoSchema, bytes);
    assert.equal(decoded.graph?.node.length, liveNodes(step.graph).length);
    assert.ok(decoded.graph.node.length > 1200);
  });

  it("is loaded by onnxruntime, which computes with the attributes as written", async () => {
    const g = new GraphBuilder("runs");
    const x = g.input("x", "float32", [2, 3]);
    g.output(g.op("Gemm", [x, x], { alpha: -2, beta: 0, transA: 0, transB: 1 }), "y");
    g.output(g.op("ReduceSum", [x, g.int64s([-1])], { keepdims: 0 }), "rowSums");
    const session = await ort.InferenceSession.create(serializeGraph(g));
    try {
      const out = await session.run({ x: new ort.Tensor("float32", new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]) });
      assert.deepEqual([...(out["y"]!.data as Float32Array)], [-28, -64, -64, -154]);
      assert.deepEqual([...(out["rowSums"]!.data as Float32Array)], [6, 15]);
    } finally {
      await session.release();
    }
  });
});

describe("ProtoWriter: the protobuf wire format", () => {
  it("writes varints at every length boundary and negatives as ten-byte two's complement", () => {
    const values = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, -1, -2, -(2 ** 31), -(2 ** 53 - 1)];
    const w = new ProtoWriter(4); // tiny on purpose: the buffer grows
    for (const v of values) w.int(3, v);
    const r = new BinaryReader(w.finish());
    for (const v of values) {
      const [field, wire] = r.tag();
      assert.deepEqual([field, wire], [3, 0]);
      assert.equal(r.int64(), BigInt(v), `varint ${v}`);
    }
    assert.equal(r.pos, r.len);
  });

  it("refuses a value that is not a safe integer instead of looping or writing garbage", () => {
    const w = new ProtoWriter();
    for (const bad of [Number.POSITIVE_INFINITY, Number.NaN, 1.5, 2 ** 53]) assert.throws(() => w.int(1, bad), RangeError, String(bad));
  });

  it("writes floats, strings, bytes and nested messages with their lengths in front", () => {
    const w = new ProtoWriter(8);
    const outer = w.begin();
    w.float(1, 0.1);
    w.string(2, "ascii");
    w.string(3, "ümlaut ✓");
    const inner = w.begin();
    w.bytes(4, new Uint8Array(300).fill(7)); // a body over 127 bytes: a two-byte length
    w.end(5, inner);
    w.end(6, outer);
    const r = new BinaryReader(w.finish());
    assert.deepEqual(r.tag(), [6, 2]);
    const body = new BinaryReader(r.bytes());
    assert.deepEqual(body.tag(), [1, 5]);
    assert.equal(body.float(), Math.fround(0.1));
    assert.deepEqual(body.tag(), [2, 2]);
    assert.equal(body.string(), "ascii");
    assert.deepEqual(body.tag(), [3, 2]);
    assert.equal(body.string(), "ümlaut ✓");
    assert.deepEqual(body.tag(), [5, 2]);
    const nested = new BinaryReader(body.bytes());
    assert.deepEqual(nested.tag(), [4, 2]);
    assert.deepEqual(nested.bytes(), new Uint8Array(300).fill(7));
    assert.equal(body.pos, body.len);
  });
});
