/**
 * Gradient functions by op type: ours are one file per op in gradients/ (as tfjs-core does), all
 * registered by register-all-gradients.ts; users register their own with the same function. A miss
 * throws naming the op and how to add one; nothing ever silently returns zeros.
 *
 *   registerGradient({
 *     opType: "Shrink",
 *     gradient: (ctx) => {
 *       const x = ctx.input(0);
 *       const lambd = ctx.attr("lambd", 0.5);
 *       const outside = greater(abs(x), scalarLike(x, lambd));
 *       return [where(outside, ctx.dyOrZeros(0), zeros(x))];
 *     },
 *   });
 *
 * Check a new gradient with checkGradients (gradient-check.ts) before training with it.
 */
import type { GraphBuilder } from "../graph/graph-builder.js";
import type { AttributeValue, Node, Value } from "../graph/value.js";
import { autodiffMessages } from "./messages.js";

/** What a gradient function gets for one node being differentiated. */
export interface GradientContext {
  /** The graph the node belongs to; the gradient's nodes are added to it. */
  readonly graph: GraphBuilder;
  readonly node: Node;
  /** Gradients of the loss w.r.t. each output; undefined where an output does not reach the loss. */
  readonly dy: readonly (Value | undefined)[];
  /** The node's input i; throws if it was omitted. */
  input(i: number): Value;
  /** The node's output i (its forward value: reuse it rather than recompute, as Sigmoid's gradient does). */
  output(i: number): Value;
  /** An attribute of the node, or `fallback` (use the ONNX default) when it was not set. */
  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr<T extends AttributeValue>(name: string, fallback: T): T;
  /** dy[i], or zeros of output i's shape. */
  dyOrZeros(i: number): Value;
  /** Whether input i needs a gradient (skip building it otherwise). */
  needs(i: number): boolean;
}

/**
 * Returns one gradient per input, each with that input's dtype and shape (sum over broadcast axes:
 * unbroadcast.ts), or undefined for inputs that need none (`ctx.needs(i)` false) or are not
 * differentiable (integer indices, shapes).
 */
export type GradientFn = (ctx: GradientContext) => readonly (Value | undefined)[];

export interface GradientDefinition {
  /** The ONNX op type, e.g. "Shrink"; one gradient per op type whatever its domain. */
  readonly opType: string;
  readonly gradient: GradientFn;
}

export interface RegisterGradientOptions {
  /** Replace a gradient already registered for the op type (a built-in one or your own) instead of refusing. */
  readonly replace?: boolean;
}

const registry = new Map<string, GradientFn>();

/**
 * Registers the gradient autodiff uses for every node of `def.opType`. Refuses a second registration
 * for the same op type unless `options.replace` is true (re-running a notebook cell that registers
 * one needs it).
 */
export function registerGradient(def: GradientDefinition, options: RegisterGradientOptions = {}): void {
  if (typeof def?.opType !== "string" || def.opType.length === 0)
    throw new TypeError(autodiffMessages.badGradientDefinition("opType must be a non-empty string"));
  if (typeof def.gradient !== "function") throw new TypeError(autodiffMessages.badGradientDefinition(`the gradient for '${def.opType}' must be a function`));
  if (registry.has(def.opType) && options.replace !== true) throw new Error(autodiffMessages.gradientAlreadyRegistered(def.opType));
  registry.set(def.opType, def.gradient);
}

/** Removes the gradient registered for `opType`; throws naming the op when there is none. */
export function unregisterGradient(opType: string): void {
  if (!registry.delete(opType)) throw new Error(autodiffMessages.gradientNotRegistered(opType));
}

/** The gradient registered for `opType`; throws naming the op, and how to register one, on a miss. */
export function getGradient(opType: string): GradientFn {
  const fn = registry.get(opType);
  if (fn === undefined) throw new Error(autodiffMessages.noGradient(opType));
  return fn;
}

/** The op types that have a gradient, sorted. */
export function registeredGradients(): string[] {
  return [...registry.keys()].sort();
}
