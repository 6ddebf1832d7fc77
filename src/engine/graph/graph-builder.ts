/**
 * Builds ONNX graphs in TypeScript with static shapes. Append-only: a value is created after its
 * inputs, so creation order is a topological order and serialisation needs no sort.
 *
 *   const g = new GraphBuilder("mlp");
 *   const x = g.input("x", "float32", [64, 784]);
 *   const w = g.input("w", "float32", [784, 10]);
 *   g.output(g.op("MatMul", [x, w]), "logits");
 */
import { graphMessages as msg } from "./messages.js";
import { tensor as makeTensor, type DType, type Tensor, type TypedArrayOf } from "../../tensor.js";
import { getOpSchema, type InferenceContext } from "./op-schema.js";
import { formatShape } from "./shape.js";
import type { AttributeValue, Attributes, Node, Shape, Value, ValueType } from "./value.js";

class ValueImpl implements Value {
  constructor(
    readonly graph: GraphBuilder,
    readonly id: number,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly producer: Node | undefined,
    readonly constant: Tensor | undefined,
    readonly kind: Value["kind"],
  ) {}
  toString(): string {
    return `${this.name}: ${this.dtype}${formatShape(this.shape)}`;
  }
}

export interface GraphOutput {
  readonly name: string;
  readonly value: Value;
}

/** Constants at most this many elements are shared between identical uses. */
const DEDUPE_LIMIT = 64;

/**
 * Ops that only move or view data: a second identical node (same inputs, same attributes) returns
 * the first one's outputs. Gradient code asks for the same Reshape or Transpose of a value many
 * times; every node onnxruntime keeps costs ~13 µs of session initialisation, measured.
 */
const SHARED_OPS: ReadonlySet<string> = new Set(["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Cast", "Shape"]);

export class GraphBuilder {
  readonly name: string;
  private nextId = 0;
  private readonly values: ValueImpl[] = [];
  private readonly nodeList: Node[] = [];
  private readonly inputList: Value[] = [];
  private readonly initializerList: Value[] = [];
  private readonly outputList: GraphOutput[] = [];
  private readonly names = new Set<string>();
  private readonly constantCache = new Map<string, Value>();
  private readonly sharedNodes = new Map<string, Value[]>();

  constructor(name = "graph") {
    this.name = name;
  }

  get nodes(): readonly Node[] {
    return this.nodeList;
  }
  get inputs(): readonly Value[] {
    return this.inputList;
  }
  get initializers(): readonly Value[] {
    return this.initializerList;
  }
  get outputs(): readonly GraphOutput[] {
    return this.outputList;
  }

  /** A graph input fed at run time (parameters, optimizer state, batches, scalars). */
  input(name: string, dtype: DType, shape: Shape): Value {
    this.claim(name);
    const v = this.newValue(name, dtype, shape, undefined, undefined, "input");
    this.inputList.push(v);
    return v;
  }

  /** A named initializer: weights baked into the model (export) or constants. */
  initializer(name: string, t: Tensor): Value {
    this.claim(name);
    const v = this.newValue(name, t.dtype, t.shape, undefined, t, "initializer");
    this.initializerList.push(v);
    return v;
  }

  /** An anonymous constant; small ones are shared. */
  constant(t: Tensor): Value {
    const key =
      t.data.length <= DEDUPE_LIMIT ? `${t.dtype}|${t.shape.join(",")}|${Array.from(t.data as ArrayLike<number | bigint>, String).join(",")}` : undefined;
    if (key !== undefined) {
      const hit = this.constantCache.get(key);
      if (hit !== undefined) return hit;
    }
    const name = this.freshName("const");
    this.names.add(name);
    const v = this.newValue(name, t.dtype, t.shape, undefined, t, "initializer");
    this.initializerList.push(v);
    if (key !== undefined) this.constantCache.set(key, v);
    return v;
  }

  /** A scalar (shape []) or, with `shape`, a filled constant. */
  scalar(value: number, dtype: "float32" | "float64" | "int32" | "int64" = "float32", shape: Shape = []): Value {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === "int64" ? new BigInt64Array(n).fill(BigInt(value)) : makeTensor(dtype, shape).data.fill(value);
    return this.constant(makeTensor(dtype, shape, data as TypedArrayOf[typeof dtype]));
  }

  /** A 1-D int64 constant: shapes, axes, pads, starts... */
  int64s(values: readonly number[]): Value {
    return this.constant(
      makeTensor(
        "int64",
        [values.length],
        BigInt64Array.from(values, (v) => BigInt(v)),
      ),
    );
  }

  /** Adds a node with one output and returns it. */
  op(opType: string, inputs: readonly (Value | undefined)[], attributes: Attributes = {}): Value {
    const outs = this.opMulti(opType, inputs, attributes);
    return outs[0]!;
  }

  /**
   * Adds a node and returns all its outputs (as many as the schema infers; pass `outputs` to keep only
   * the first few, e.g. Dropout without its mask).
   */
  opMulti(opType: string, inputs: readonly (Value | undefined)[], attributes: Attributes = {}, outputs?: number): Value[] {
    const schema = getOpSchema(opType);
    for (const [i, v] of inputs.entries()) {
      if (v !== undefined && v.graph !== this) {
        throw new Error(msg.wrongGraph(opType, i, v.name, v.graph.name, this.name));
      }
    }
    for (const key of Object.keys(attributes)) {
      if (!(key in schema.attributes)) {
        throw new TypeError(msg.unknownAttribute(opType, key, Object.keys(schema.attributes)));
      }
    }
    const sharedKey =
      SHARED_OPS.has(opType) && outputs === undefined ? `${opType}|${inputs.map((v) => v?.id ?? "").join(",")}|${JSON.stringify(attributes)}` : undefined;
    if (sharedKey !== undefined) {
      const hit = this.sharedNodes.get(sharedKey);
      if (hit !== undefined) return hit;
    }
    const types = schema.infer(inferenceContext(opType, inputs, attributes));
    const count = outputs ?? types.length;
    const id = this.nextId++;
    const outs: ValueImpl[] = [];
    const node: Node = { id, opType, domain: schema.domain ?? "", inputs: [...inputs], outputs: outs, attributes: { ...attributes } };
    for (const t of types.slice(0, count)) {
      outs.push(this.newValue(undefined, t.dtype, t.shape, node, undefined, "intermediate"));
    }
    this.nodeList.push(node);
    if (sharedKey !== undefined) this.sharedNodes.set(sharedKey, outs);
    return outs;
  }

  /** Marks `value` as a graph output called `name` (an Identity is added when the name differs). */
  output(value: Value, name: string): void {
    if (this.outputList.some((o) => o.name === name)) throw new Error(msg.duplicateOutput(this.name, name));
    let v = value;
    if (v.name !== name || v.kind !== "intermediate" || this.outputList.some((o) => o.value === v)) {
      this.claim(name);
      v = this.opNamed("Identity", [value], name);
    }
    this.outputList.push({ name, value: v });
  }

  /** The value graph input/initializer/output called `name`. */
  find(name: string): Value | undefined {
    return this.values.find((v) => v.name === name);
  }

  private opNamed(opType: string, inputs: Value[], name: string): Value {
    const src = inputs[0]!;
    const node: { id: number; opType: string; domain: string; inputs: Value[]; outputs: Value[]; attributes: Attributes } = {
      id: this.nextId++,
      opType,
      domain: "",
      inputs,
      outputs: [],
      attributes: {},
    };
    const v = this.newValue(name, src.dtype, src.shape, node, undefined, "intermediate");
    node.outputs.push(v);
    this.nodeList.push(node);
    return v;
  }

  private newValue(
    name: string | undefined,
    dtype: DType,
    shape: Shape,
    producer: Node | undefined,
    constant: Tensor | undefined,
    kind: Value["kind"],
  ): ValueImpl {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(msg.invalidDimension(d, formatShape(shape)));
    }
    const id = this.values.length;
    const v = new ValueImpl(this, id, name ?? `t${id}`, dtype, [...shape], producer, constant, kind);
    this.values.push(v);
    return v;
  }

  private claim(name: string): void {
    if (name.length === 0) throw new TypeError(msg.emptyValueName());
    if (this.names.has(name) || /^t\d+$/.test(name)) {
      throw new Error(msg.duplicateValueName(this.name, name));
    }
    this.names.add(name);
  }

  private freshName(prefix: string): string {
    let i = this.initializerList.length;
    while (this.names.has(`${prefix}${i}`)) i++;
    return `${prefix}${i}`;
  }
}

function inferenceContext(opType: string, inputs: readonly (Value | undefined)[], attributes: Attributes): InferenceContext {
  const fail = (problem: string): never => {
    const shapes = inputs.map((v) => (v === undefined ? "(omitted)" : `${v.dtype}${formatShape(v.shape)}`)).join(", ");
    throw new Error(msg.inferenceFailed(opType, problem, shapes));
  };
  return {
    opType,
    inputs,
    attributes,
    fail,
    input(i) {
      const v = inputs[i];
      if (v === undefined) return fail(`input ${i} is required`);
      return v;
    },
    attr<T extends AttributeValue>(name: string, fallback: T): T {
      return (attributes[name] as T | undefined) ?? fallback;
    },
    requiredAttr<T extends AttributeValue>(name: string): T {
      const v = attributes[name];
      if (v === undefined) return fail(`attribute '${name}' is required`);
      return v as T;
    },
    constantInts(i) {
      const v = this.input(i);
      if (v.constant === undefined) return fail(`input ${i} must be a constant (shapes are static)`);
      return Array.from(v.constant.data as ArrayLike<number | bigint>, Number);
    },
  };
}

export type { ValueType };
