/**
 * The nodes and values of a graph under construction (interfaces only; graph-builder.ts builds them).
 * Shapes are static: every value's dtype and shape are known when it is created, so gradient code
 * can compute broadcast axes and reshape targets in TypeScript instead of in the graph.
 */
import type { DType, Tensor } from "../../tensor.js";
import type { GraphBuilder } from "./graph-builder.js";

export type Shape = readonly number[];

/** Attribute values as the builder takes them; the op's schema says how each is encoded. */
export type AttributeValue = number | string | readonly number[] | readonly string[] | Tensor;
export type Attributes = Readonly<Record<string, AttributeValue>>;

export interface Value {
  readonly graph: GraphBuilder;
  readonly id: number;
  /** The ONNX name: the given name for graph inputs, initializers and outputs; `t<id>` otherwise. */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  /** The node that computes this value; undefined for graph inputs and initializers. */
  readonly producer: Node | undefined;
  /** Known contents: initializers and values built from constants (used by shape inference). */
  readonly constant: Tensor | undefined;
  readonly kind: "input" | "initializer" | "intermediate";
}

export interface Node {
  readonly id: number;
  readonly opType: string;
  readonly domain: string;
  /** `undefined` marks an omitted optional input. */
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  readonly attributes: Attributes;
}

export interface ValueType {
  readonly dtype: DType;
  readonly shape: Shape;
}
