/** Shape arithmetic shared by schemas and gradients. */
import { graphMessages as msg } from "./messages.js";
import type { Shape } from "./value.js";

/** Numpy-style multidirectional broadcast; undefined when the shapes are incompatible. */
export function broadcastShapes(...shapes: Shape[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      const cur = out[o]!;
      if (cur === 1) out[o] = d;
      else if (d !== 1 && d !== cur) return undefined;
    }
  }
  return out;
}

/**
 * The axes of `target` (rank `outRank`) that broadcasting expanded when producing a value of shape
 * `out`: the leading axes that `from` lacks plus the axes where it had size 1 and `out` does not.
 */
export function broadcastAxes(from: Shape, out: Shape): number[] {
  const axes: number[] = [];
  const lead = out.length - from.length;
  for (let i = 0; i < out.length; i++) {
    if (i < lead) axes.push(i);
    else if (from[i - lead] === 1 && out[i] !== 1) axes.push(i);
  }
  return axes;
}

export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new RangeError(msg.axisOutOfRange(axis, rank));
  }
  return a;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(s: Shape): string {
  return `[${s.join(", ")}]`;
}

export function product(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}
