/**
 * Binds a model's parameters to the session's group buffers in one graph. Each group is a graph input
 * (the optimizer's operand), and each parameter of a flat group is a graph input of its own: the
 * session feeds it a typed-array view into the group buffer, which onnxruntime reads in place, so the
 * graph needs no Split and the bytes are never copied.
 */
import type { Tensor } from "../../tensor.js";
import type { GraphBuilder } from "../graph/graph-builder.js";
import { sameShape } from "../graph/shape.js";
import type { Value } from "../graph/value.js";
import type { ParameterBinding } from "../nn/graph-parameter-scope.js";
import { sessionMessages } from "./messages.js";
import { names, type LayoutMember, type ParameterGroup } from "./parameter-layout.js";

/** Group buffers by group name. */
export type GroupBuffers = ReadonlyMap<string, Float32Array>;

export interface LayoutBinding {
  readonly bind: ParameterBinding;
  /** The group inputs, in layout order. */
  readonly inputs: readonly Value[];
  /** Feeds for every parameter input this graph declared, from the current group buffers. */
  feeds(buffers: GroupBuffers, into: Record<string, Tensor>): void;
}

export function bindToLayout(graph: GraphBuilder, groups: readonly ParameterGroup[], graphName: string): LayoutBinding {
  const inputs = groups.map((g) => graph.input(names.param(g.name), "float32", g.shape));
  const where = new Map<string, { group: number; member: LayoutMember }>();
  groups.forEach((g, i) => g.members.forEach((member) => where.set(member.spec.name, { group: i, member })));
  const views: { name: string; group: string; member: LayoutMember }[] = [];
  return {
    inputs,
    bind: (spec) => {
      const at = where.get(spec.name);
      if (at === undefined) throw new Error(sessionMessages.unknownParameter(spec.name, graphName));
      const group = groups[at.group]!;
      // A group holding just this parameter (per-tensor layout) is the parameter itself.
      if (group.members.length === 1 && sameShape(group.shape, spec.shape)) return inputs[at.group]!;
      const name = names.member(spec.name);
      views.push({ name, group: group.name, member: at.member });
      return graph.input(name, spec.dtype, spec.shape);
    },
    feeds(buffers, into) {
      groups.forEach((g) => {
        into[names.param(g.name)] = { dtype: "float32", shape: g.shape, data: buffers.get(g.name)! };
      });
      for (const v of views) {
        const buf = buffers.get(v.group)!;
        into[v.name] = { dtype: "float32", shape: v.member.spec.shape, data: buf.subarray(v.member.offset, v.member.offset + v.member.size) };
      }
    },
  };
}
