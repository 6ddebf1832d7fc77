import { cast, transpose, unsqueeze, zeros } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import type { GradientDefinition } from "../gradient-registry.js";

/**
 * Scatters dy back into zeros shaped like the data with ScatterND(reduction="add"), so repeated ids
 * (an embedding row used twice) accumulate. For axis ≠ 0 the data's gathered axis is moved to the
 * front (and dy's index axes with it), scattered there, and moved back. Negative ids work as
 * ScatterND reads them like Gather does (measured on onnxruntime 1.30). Indices get no gradient.
 */
export const gatherGrad: GradientDefinition = {
  opType: "Gather",
  gradient: (ctx) => {
    const data = ctx.input(0);
    const indices = cast(ctx.input(1), "int64");
    const rank = data.shape.length;
    const axis = normalizeAxis(ctx.attr("axis", 0), rank);
    const q = indices.shape.length;
    const dy = ctx.dyOrZeros(0);
    // dy is data[:axis] + indices + data[axis+1:]; bring the index axes to the front.
    const before = [...Array(axis).keys()];
    const after = [...Array(rank - axis - 1).keys()];
    const dyPerm = [...[...Array(q).keys()].map((i) => axis + i), ...before, ...after.map((i) => axis + q + i)];
    const updates = transpose(dy, dyPerm);
    // data with the gathered axis first: [d_axis, data[:axis], data[axis+1:]].
    const front = [axis, ...before, ...after.map((i) => axis + 1 + i)];
    const target = zeros(
      data,
      front.map((a) => data.shape[a]!),
    );
    const scattered = ctx.graph.op("ScatterND", [target, unsqueeze(indices, [q]), updates], { reduction: "add" });
    const back = new Array<number>(rank);
    front.forEach((a, i) => {
      back[a] = i;
    });
    return [transpose(scattered, back), undefined];
  },
};
