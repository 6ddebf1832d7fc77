import { scale } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { reducedAxes, spreadOverReduced } from "./ReduceSum_grad.js";

export const reduceMeanGrad: GradientDefinition = {
  opType: "ReduceMean",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const count = reducedAxes(ctx).reduce((n, a) => n * x.shape[a]!, 1);
    return [scale(spreadOverReduced(ctx), 1 / count), undefined];
  },
};
