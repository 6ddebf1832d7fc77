/**
 * What the builder knows about an ONNX operator: how to encode its attributes and how to infer its
 * outputs' dtypes and shapes. One registry, failing loudly on a miss or a duplicate. Ours are in
 * ops/; a user adds a standard ONNX op the builder does not know with the same function:
 *
 *   registerOp({
 *     opType: "Shrink",
 *     attributes: { bias: "float", lambd: "float" },
 *     infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: ctx.input(0).shape }],
 *   });
 *   const y = g.op("Shrink", [x], { lambd: 0.5 });
 *
 * Shapes are static: `infer` computes every output's dtype and shape from the inputs' (and from the
 * contents of constant inputs, via `constantInts`). onnxruntime checks the op itself when the graph
 * is compiled.
 */
import { graphMessages } from "./messages.js";
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
  /** The ONNX op type, e.g. "Shrink". */
  readonly opType: string;
  /** "" (the default) is the standard ONNX domain, imported at opset 21; other domains at version 1. */
  readonly domain?: string;
  /** Every attribute the op accepts and how it is encoded; the builder refuses any other. */
  readonly attributes: Readonly<Record<string, AttributeKind>>;
  /** Outputs' types, one per output the node produces; `ctx.fail(problem)` to refuse the inputs. */
  infer(ctx: InferenceContext): ValueType[];
}

export interface RegisterOpOptions {
  /** Replace a schema already registered for the op type instead of refusing. */
  readonly replace?: boolean;
}

const schemas = new Map<string, OpSchema>();

/**
 * Teaches the graph builder an op: the attributes it takes and how its outputs' dtypes and shapes
 * follow from its inputs. Refuses a second schema for the same op type unless `options.replace`.
 */
export function registerOp(schema: OpSchema, options: RegisterOpOptions = {}): void {
  if (typeof schema?.opType !== "string" || schema.opType.length === 0) throw new TypeError(graphMessages.badOpSchema("opType must be a non-empty string"));
  if (typeof schema.attributes !== "object" || schema.attributes === null)
    throw new TypeError(graphMessages.badOpSchema(`attributes of '${schema.opType}' must be an object (use {} for none)`));
  if (typeof schema.infer !== "function") throw new TypeError(graphMessages.badOpSchema(`infer of '${schema.opType}' must be a function`));
  if (schemas.has(schema.opType) && options.replace !== true) throw new Error(graphMessages.opAlreadyRegistered(schema.opType));
  schemas.set(schema.opType, schema);
}

/** Removes the schema registered for `opType`; throws naming the op when there is none. */
export function unregisterOp(opType: string): void {
  if (!schemas.delete(opType)) throw new Error(graphMessages.opNotToUnregister(opType));
}

/** The schema of `opType`; throws naming the op, and how to register it, on a miss. */
export function getOpSchema(opType: string): OpSchema {
  const s = schemas.get(opType);
  if (s === undefined) throw new Error(graphMessages.opNotRegistered(opType));
  return s;
}

/** The op types the builder knows, sorted. */
export function registeredOps(): string[] {
  return [...schemas.keys()].sort();
}
