import { reduceSum, reshape } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** Views dy [r₀·d₀, r₁·d₁, …] as [r₀, d₀, r₁, d₁, …] and sums over the repeat axes. */
export const tileGrad: GradientDefinition = {
  opType: "Tile",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const y = ctx.output(0);
    const reps = x.shape.map((d, i) => (d === 0 ? 1 : y.shape[i]! / d));
    const dy = ctx.dyOrZeros(0);
    if (reps.every((r) => r === 1)) return [dy, undefined];
    const split = reshape(
      dy,
      x.shape.flatMap((d, i) => [reps[i]!, d]),
    );
    return [
      reshape(
        reduceSum(
          split,
          reps.map((_, i) => 2 * i),
          false,
        ),
        x.shape,
      ),
      undefined,
    ];
  },
};
