import { cast, mul, pow, scalarLike, scale, sub, zeros } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";
import { autodiffMessages } from "../messages.js";

/** The exponent as a number when it is a known scalar (float32/64 or int) constant. */
function scalarExponent(p: Value): number | undefined {
  const t = p.constant;
  if (t === undefined || t.data.length !== 1 || t.dtype === "float16" || t.dtype === "bfloat16" || t.dtype === "bool") return undefined;
  return Number(t.data[0]);
}

/**
 * y = x^p with p not differentiated: dx = dy · p · x^(p−1). A scalar constant p is folded into the
 * graph (p = 1 and 2 need no Pow at all); any other p (a tensor, a fed input) is computed in the graph.
 */
export const powGrad: GradientDefinition = {
  opType: "Pow",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const p = ctx.input(1);
    if (ctx.needs(1)) throw new Error(autodiffMessages.exponentNeedsGradient(ctx.node.id, p.name));
    const dy = ctx.dyOrZeros(0);
    const c = scalarExponent(p);
    let dx: Value;
    if (c === 0) return [zeros(x), undefined];
    else if (c === 1) dx = dy;
    else if (c === 2) dx = mul(dy, scale(x, 2));
    else if (c !== undefined) dx = mul(dy, scale(pow(x, scalarLike(x, c - 1)), c));
    else {
      const pf = cast(p, x.dtype);
      dx = mul(dy, mul(pf, pow(x, sub(pf, scalarLike(pf, 1)))));
    }
    return [unbroadcast(dx, x.shape), undefined];
  },
};
