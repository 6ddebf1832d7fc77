/**
 * The ParameterScope implementation. Every scope of one graph shares a root that records parameters
 * in declaration order and asks a `ParameterBinding` for the Value each one becomes in this graph.
 */
import type { GraphBuilder } from "../graph/graph-builder.js";
import { sameShape } from "../graph/shape.js";
import type { Shape, Value } from "../graph/value.js";
import type { Initializer } from "./initializer.js";
import { nnMessages } from "./messages.js";
import type { ParameterOptions, ParameterScope, ParameterSpec } from "./parameter-scope.js";
import { checkDistribution, RANDOM_INPUT_PREFIX, type RandomDistribution, type RandomInputSpec } from "./random-input.js";

/** Makes the Value a parameter is in one graph (an input, a slice of a flat vector, an initializer). */
export type ParameterBinding = (spec: ParameterSpec, graph: GraphBuilder) => Value;

export interface ScopeOptions {
  readonly training: boolean;
}

/** A root scope plus what it saw, for the code that builds a graph. */
export interface BoundScope {
  readonly scope: ParameterScope;
  /** Parameters in the order the model first asked for them. */
  specs(): readonly ParameterSpec[];
  /** The Value each parameter became in this graph. */
  values(): ReadonlyMap<string, Value>;
  /** Random inputs the graph asked for (scope.random), in the order it asked. */
  randoms(): readonly RandomInputSpec[];
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

interface Root {
  readonly graph: GraphBuilder;
  readonly training: boolean;
  readonly bind: ParameterBinding;
  readonly specs: ParameterSpec[];
  readonly values: Map<string, Value>;
  readonly randoms: Map<string, { spec: RandomInputSpec; value: Value }>;
}

class GraphParameterScope implements ParameterScope {
  constructor(
    private readonly root: Root,
    readonly path: string,
  ) {}

  get graph(): GraphBuilder {
    return this.root.graph;
  }
  get training(): boolean {
    return this.root.training;
  }

  child(name: string): ParameterScope {
    checkSegment("child", name, this.path);
    return new GraphParameterScope(this.root, this.qualify(name));
  }

  param(name: string, shape: Shape, init: Initializer, options: ParameterOptions = {}): Value {
    checkSegment("param", name, this.path);
    for (const d of shape) {
      if (!Number.isInteger(d) || d <= 0) throw new RangeError(nnMessages.badShape(this.qualify(name), shape));
    }
    const full = this.qualify(name);
    const seen = this.root.values.get(full);
    if (seen !== undefined) {
      if (!sameShape(seen.shape, shape)) {
        throw new RangeError(nnMessages.shapeChanged(full, seen.shape, shape));
      }
      return seen;
    }
    const spec: ParameterSpec = Object.freeze({
      name: full,
      dtype: "float32",
      shape: Object.freeze([...shape]),
      init,
      decay: options.decay ?? shape.length >= 2,
    });
    const value = this.root.bind(spec, this.root.graph);
    if (value.dtype !== "float32" || !sameShape(value.shape, shape)) {
      throw new Error(nnMessages.badBinding(full, value, shape));
    }
    this.root.specs.push(spec);
    this.root.values.set(full, value);
    return value;
  }

  random(name: string, shape: Shape, distribution: RandomDistribution): Value {
    checkSegment("random", name, this.path);
    for (const d of shape) {
      if (!Number.isInteger(d) || d <= 0) throw new RangeError(nnMessages.badShape(this.qualify(name), shape));
    }
    const full = RANDOM_INPUT_PREFIX + this.qualify(name);
    const seen = this.root.randoms.get(full);
    if (seen !== undefined) {
      if (!sameShape(seen.spec.shape, shape)) throw new RangeError(nnMessages.shapeChanged(full, seen.spec.shape, shape));
      return seen.value;
    }
    checkDistribution(`scope.random('${full}')`, distribution);
    const spec: RandomInputSpec = Object.freeze({ name: full, shape: Object.freeze([...shape]), distribution: Object.freeze({ ...distribution }) });
    const value = this.root.graph.input(full, "float32", shape);
    this.root.randoms.set(full, { spec, value });
    return value;
  }

  private qualify(name: string): string {
    return this.path === "" ? name : `${this.path}.${name}`;
  }
}

function checkSegment(what: string, name: string, path: string): void {
  if (!SEGMENT.test(name)) {
    throw new TypeError(nnMessages.badName(what, name, path));
  }
}

export function createParameterScope(graph: GraphBuilder, bind: ParameterBinding, options: ScopeOptions): BoundScope {
  const root: Root = { graph, training: options.training, bind, specs: [], values: new Map(), randoms: new Map() };
  return {
    scope: new GraphParameterScope(root, ""),
    specs: () => root.specs,
    values: () => root.values,
    randoms: () => [...root.randoms.values()].map((r) => r.spec),
  };
}
