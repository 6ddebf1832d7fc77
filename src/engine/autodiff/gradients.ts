/**
 * Reverse-mode autodiff over a GraphBuilder graph: appends the backward nodes to the same graph and
 * returns d(loss)/d(wrt) for each requested value. Only floating-point values carry gradients; only
 * nodes on a path from some `wrt` to the loss are differentiated.
 */
import { formatShape, sameShape } from "../graph/shape.js";
import { zeros } from "../graph/functional.js";
import type { AttributeValue, Node, Value } from "../graph/value.js";
import { compositeGradient } from "./composite-gradient.js";
import { getGradient, type GradientContext } from "./gradient-registry.js";
import { autodiffMessages } from "./messages.js";

const FLOAT = new Set(["float32", "float64", "float16", "bfloat16"]);

export interface GradientsOptions {
  /** d(loss) to start from; defaults to 1 (loss must then be a scalar). */
  readonly seed?: Value;
}

export function gradients(loss: Value, wrt: readonly Value[], options: GradientsOptions = {}): Value[] {
  const g = loss.graph;
  if (options.seed === undefined && loss.shape.length !== 0) {
    throw new RangeError(autodiffMessages.lossNotScalar(loss.name, loss.shape));
  }
  for (const w of wrt) {
    if (w.graph !== g) throw new Error(autodiffMessages.wrtOtherGraph(w.name));
    if (!FLOAT.has(w.dtype)) throw new TypeError(autodiffMessages.wrtNotFloat(w.name, w.dtype));
  }

  // Values that depend on some wrt (forward), among floating-point ones.
  const active = new Set<Value>(wrt);
  for (const n of g.nodes) {
    if (n.inputs.some((v) => v !== undefined && active.has(v))) {
      for (const o of n.outputs) if (FLOAT.has(o.dtype)) active.add(o);
    }
  }
  // Nodes the loss depends on (backward).
  const reaching = new Set<Node>();
  const stack: Value[] = [loss];
  const seen = new Set<Value>();
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (v.producer !== undefined) {
      reaching.add(v.producer);
      for (const i of v.producer.inputs) if (i !== undefined) stack.push(i);
    }
  }

  const contributions = new Map<Value, Value[]>();
  const accumulate = (v: Value, grad: Value): void => {
    const list = contributions.get(v);
    if (list === undefined) contributions.set(v, [grad]);
    else list.push(grad);
  };
  const total = (v: Value): Value | undefined => {
    const list = contributions.get(v);
    if (list === undefined || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    // Adds, not one Sum: onnxruntime runs Sum on one thread, Add on all of them (UNet small step,
    // batch 64, 2 threads: the accumulations took 3.0 ms as Sums with 1 or 2 threads).
    const sum = list.slice(1).reduce((a, b) => g.op("Add", [a, b]), list[0]!);
    contributions.set(v, [sum]);
    return sum;
  };

  accumulate(loss, options.seed ?? g.scalar(1, loss.dtype as "float32" | "float64"));

  const nodes = g.nodes.filter((n) => reaching.has(n) && n.outputs.some((o) => active.has(o)));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    const dy = node.outputs.map((o) => total(o));
    if (dy.every((d) => d === undefined)) continue;
    const composite = compositeGradient(node);
    const inputs = composite?.inputs ?? node.inputs;
    const needs = inputs.map((v) => v !== undefined && active.has(v));
    if (!needs.some(Boolean)) continue;
    const grads = composite !== undefined ? composite.gradient(dy[0]!, needs) : getGradient(node.opType)(context(node, dy, needs));
    const what = composite !== undefined ? "composite gradient ending in" : "gradient of";
    inputs.forEach((input, i) => {
      const grad = grads[i];
      if (input === undefined || !needs[i]) return;
      if (grad === undefined) {
        throw new Error(autodiffMessages.gradientMissing(what, node.opType, node.id, i, input.name));
      }
      if (!sameShape(grad.shape, input.shape) || grad.dtype !== input.dtype) {
        throw new Error(
          autodiffMessages.gradientMismatch(what, node.opType, i, `${grad.dtype}${formatShape(grad.shape)}`, `${input.dtype}${formatShape(input.shape)}`),
        );
      }
      accumulate(input, grad);
    });
  }
  return wrt.map((w) => total(w) ?? zeros(w));
}

function context(node: Node, dy: (Value | undefined)[], needs: boolean[]): GradientContext {
  const graph = node.outputs[0]!.graph;
  return {
    graph,
    node,
    dy,
    input(i) {
      const v = node.inputs[i];
      if (v === undefined) throw new Error(autodiffMessages.inputOmitted(node.opType, i));
      return v;
    },
    output(i) {
      const v = node.outputs[i];
      if (v === undefined) throw new Error(autodiffMessages.noSuchOutput(node.opType, i));
      return v;
    },
    attr<T extends AttributeValue>(name: string, fallback: T): T {
      return (node.attributes[name] as T | undefined) ?? fallback;
    },
    dyOrZeros(i) {
      return dy[i] ?? zeros(this.output(i));
    },
    needs(i) {
      return needs[i] ?? false;
    },
  };
}
