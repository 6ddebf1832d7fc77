/**
 * Gradient functions by op type, one file per op in gradients/ (as tfjs-core does), all registered by
 * register-all-gradients.ts. A miss throws naming the op; nothing ever silently returns zeros.
 */
import type { GraphBuilder } from "../graph/graph-builder.js";
import type { AttributeValue, Node, Value } from "../graph/value.js";

export interface GradientContext {
  readonly graph: GraphBuilder;
  readonly node: Node;
  /** Gradients of the loss w.r.t. each output; undefined where an output does not reach the loss. */
  readonly dy: readonly (Value | undefined)[];
  input(i: number): Value;
  output(i: number): Value;
  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr<T extends AttributeValue>(name: string, fallback: T): T;
  /** dy[i], or zeros of output i's shape. */
  dyOrZeros(i: number): Value;
  /** Whether input i needs a gradient (skip building it otherwise). */
  needs(i: number): boolean;
}

/** Returns one gradient per input (undefined for inputs that need none or are not differentiable). */
export type GradientFn = (ctx: GradientContext) => readonly (Value | undefined)[];

export interface GradientDefinition {
  readonly opType: string;
  readonly gradient: GradientFn;
}

const registry = new Map<string, GradientFn>();

export function registerGradient(def: GradientDefinition): void {
  if (registry.has(def.opType)) throw new Error(`A gradient for '${def.opType}' is already registered.`);
  registry.set(def.opType, def.gradient);
}

export function getGradient(opType: string): GradientFn {
  const fn = registry.get(opType);
  if (fn === undefined) {
    throw new Error(`Op '${opType}' has no gradient registered: add src/engine/autodiff/gradients/${opType}_grad.ts and register it in register-all-gradients.ts.`);
  }
  return fn;
}

export function registeredGradients(): string[] {
  return [...registry.keys()].sort();
}
