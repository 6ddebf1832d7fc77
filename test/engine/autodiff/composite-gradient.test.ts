import { strict as assert } from "node:assert";
import { defineCompositeGradient } from "../../../src/engine/autodiff/composite-gradient.js";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { add, mul, scalarLike, sigmoid, split, sub, sumAll } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { checkGradients } from "../../support/gradient-check.js";

/** y = a·σ(a) whose composite gradient is the exact derivative, built from the same s = σ(a). */
function exactSilu(a: Value): { y: Value; s: Value } {
  const s = sigmoid(a);
  const y = defineCompositeGradient(mul(a, s), { inputs: [a], gradient: (dy) => [mul(dy, add(s, mul(mul(a, s), sub(scalarLike(a, 1), s))))] });
  return { y, s };
}

describe("autodiff: composite gradients", () => {
  it("hands d(loss)/d(output) to the composite's function and gives the nodes inside it nothing", async () => {
    // A deliberately wrong composite gradient (3·dy): the result must be exactly that.
    const g = new GraphBuilder("composite");
    const a = g.input("a", "float64", [4]);
    const y = defineCompositeGradient(mul(a, sigmoid(a)), { inputs: [a], gradient: (dy) => [mul(dy, scalarLike(dy, 3))] });
    const [da] = gradients(sumAll(mul(y, g.input("w", "float64", [4]))), [a]);
    g.output(da!, "da");
    const compiled = await compileGraph(serializeGraph(g));
    try {
      const out = await compiled.run({
        a: { dtype: "float64", shape: [4], data: Float64Array.of(-2, -0.5, 0.5, 2) },
        w: { dtype: "float64", shape: [4], data: Float64Array.of(1, 2, 3, 4) },
      });
      assert.deepEqual(Array.from(out["da"]!.data as Float64Array), [3, 6, 9, 12]);
    } finally {
      await compiled.release();
    }
    // Nothing was built for the Sigmoid or the Mul inside: a's gradient is the composite's Mul alone.
    assert.equal(da!.producer?.opType, "Mul");
    assert.equal(da!.producer?.inputs[1]?.constant?.data[0], 3);
  });

  it("matches central differences when a value inside the composite is also read outside it (float64, rtol 1e-6)", async () => {
    await checkGradients({
      inputs: [
        { name: "a", shape: [3, 5] },
        { name: "w", shape: [3, 5] },
      ],
      build: (_g, [a, w]) => {
        const { y, s } = exactSilu(a!);
        return add(y, mul(s, w!));
      },
      samples: 1e9,
    });
  });

  it("accumulates into inputs that also feed other ops, and through chained composites (float64, rtol 1e-6)", async () => {
    await checkGradients({
      inputs: [{ name: "a", shape: [2, 6] }],
      build: (_g, [a]) => mul(exactSilu(exactSilu(a!).y).y, a!),
      samples: 1e9,
    });
  });

  it("refuses a value that is not its node's only output, a second definition and a wrongly shaped gradient", () => {
    const g = new GraphBuilder("composite");
    const a = g.input("a", "float32", [2, 4]);
    const [p] = split(a, [2, 2], 1);
    assert.throws(() => defineCompositeGradient(p!, { inputs: [a], gradient: () => [undefined] }), /must be the only output of a node/);
    assert.throws(() => defineCompositeGradient(a, { inputs: [a], gradient: () => [undefined] }), /must be the only output of a node/);
    const y = defineCompositeGradient(mul(a, a), { inputs: [a], gradient: (dy) => [sumAll(dy)] });
    assert.throws(() => defineCompositeGradient(y, { inputs: [a], gradient: (dy) => [dy] }), /already has a composite gradient/);
    assert.throws(() => gradients(sumAll(y), [a]), /composite gradient ending in Mul for input 0 is float32\[\], but the input is float32\[2, 4\]/);
    const z = defineCompositeGradient(add(a, a), { inputs: [a], gradient: () => [undefined] });
    assert.throws(() => gradients(sumAll(z), [a]), /composite gradient ending in Add \(node \d+\) returned nothing for input 0 \(a\), which needs one/);
  });
});
