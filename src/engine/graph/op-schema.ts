/**
 * What the builder knows about an ONNX operator: how to encode its attributes and how to infer its
 * outputs' dtypes and shapes. One registry, failing loudly on a miss or a duplicate (STYLE.md §2).
 */
import type { Attributes, Value, ValueType } from "./value.js";

export type AttributeKind = "int" | "float" | "string" | "ints" | "floats" | "strings" | "tensor" | "dtype";

export interface InferenceContext {
  readonly opType: string;
  /** `undefined` where an optional input was omitted. */
  readonly inputs: readonly (Value | undefined)[];
  readonly attributes: Attributes;
  /** The i-th input; throws a clear error if it was omitted. */
  input(i: number): Value;
  /** An attribute with a default. */
  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr<T extends Attributes[string]>(name: string, fallback: T): T;
  /** A required attribute. */
  requiredAttr<T extends Attributes[string]>(name: string): T;
  /** The known contents of an input as numbers (for shape, axes, pads...), or throw naming the op. */
  constantInts(i: number): number[];
  /** Throw an error naming the op and what is wrong. */
  fail(problem: string): never;
}

export interface OpSchema {
  readonly opType: string;
  /** "" is the default ONNX domain. */
  readonly domain?: string;
  readonly attributes: Readonly<Record<string, AttributeKind>>;
  /** Outputs' types, one per output the node produces. */
  infer(ctx: InferenceContext): ValueType[];
}

const schemas = new Map<string, OpSchema>();

export function registerOp(schema: OpSchema): void {
  if (schemas.has(schema.opType)) throw new Error(`Op '${schema.opType}' is already registered.`);
  schemas.set(schema.opType, schema);
}

export function getOpSchema(opType: string): OpSchema {
  const s = schemas.get(opType);
  if (s === undefined) {
    throw new Error(`Op '${opType}' is not registered with the graph builder: add a schema in src/engine/graph/ops/.`);
  }
  return s;
}

export function registeredOps(): string[] {
  return [...schemas.keys()].sort();
}
