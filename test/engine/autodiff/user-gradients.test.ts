import { strict as assert } from "node:assert";
import { defineCompositeGradient } from "../../../src/engine/autodiff/composite-gradient.js";
import { checkGradients, GradientCheckError } from "../../../src/engine/autodiff/gradient-check.js";
import { getGradient, registerGradient, registeredGradients, unregisterGradient, type GradientFn } from "../../../src/engine/autodiff/gradient-registry.js";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { autodiffMessages } from "../../../src/engine/autodiff/messages.js";
import {
  abs,
  add,
  cos,
  greater,
  log,
  mul,
  neg,
  scalarLike,
  scale,
  shift,
  sin,
  softplus,
  sumAll,
  tanh,
  where,
  zeros,
} from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { graphMessages } from "../../../src/engine/graph/messages.js";
import { getOpSchema, registerOp, registeredOps, unregisterOp, type OpSchema } from "../../../src/engine/graph/op-schema.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { testRandom } from "../../support/gradient-check.js";

// Shrink is a standard ONNX op (opset 9) the graph builder does not know and that has no gradient:
// what a user adds from a notebook cell. y = x − bias for x > λ, x + bias for x < −λ, else 0.
const SHRINK_SCHEMA: OpSchema = {
  opType: "Shrink",
  attributes: { bias: "float", lambd: "float" },
  infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: ctx.input(0).shape }],
};

/** dx = dy where |x| > λ, else 0 (λ defaults to 0.5 as in ONNX). */
const shrinkGradient: GradientFn = (ctx) => {
  const x = ctx.input(0);
  return [where(greater(abs(x), scalarLike(x, ctx.attr("lambd", 0.5))), ctx.dyOrZeros(0), zeros(x, []))];
};

/** Values at least 0.1 away from ±λ, so x ± eps (1e-2 in float32) stays on one side of both kinks. */
function awayFromLambda(n: number, lambd: number, seed: number): Float32Array {
  const r = testRandom(seed);
  return Float32Array.from({ length: n }, () => {
    let v: number;
    do v = 4 * r.uniform() - 2;
    while (Math.abs(Math.abs(v) - lambd) < 0.1);
    return v;
  });
}

/** Runs `body` with Sin's gradient replaced by `gradient`, then puts the built-in one back. */
async function withSinGradient<T>(gradient: GradientFn, body: () => Promise<T>): Promise<T> {
  const builtIn = getGradient("Sin");
  registerGradient({ opType: "Sin", gradient }, { replace: true });
  try {
    return await body();
  } finally {
    registerGradient({ opType: "Sin", gradient: builtIn }, { replace: true });
  }
}

const SIN_CHECK = { inputs: [{ name: "x", shape: [3, 4] }], build: (_g: GraphBuilder, [x]: Value[]) => sin(x!), samples: 1e9 };

describe("autodiff: gradients users register themselves", () => {
  it("lets a user add a standard op the builder does not know, with its gradient, and passes the finite-difference check", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float64", [3]);
    assert.ok(!registeredOps().includes("Shrink") && !registeredGradients().includes("Shrink"), "Shrink must be new to the builder and to autodiff");
    assert.throws(() => g.op("Shrink", [x]), { message: graphMessages.opNotRegistered("Shrink") });
    registerOp(SHRINK_SCHEMA);
    try {
      const y = g.op("Shrink", [x], { lambd: 0.3 });
      assert.throws(() => gradients(sumAll(y), [x]), { message: autodiffMessages.noGradient("Shrink") });
      registerGradient({ opType: "Shrink", gradient: shrinkGradient });
      try {
        // float32: onnxruntime accepts double Shrink but computes it in float precision (measured:
        // Shrink(1.234567890123) = 1.2345678806304932), too coarse for float64's eps 1e-6.
        const result = await checkGradients({
          dtype: "float32",
          inputs: [{ name: "x", shape: [4, 6], data: awayFromLambda(24, 0.3, 1) }],
          build: (gb, [a]) => gb.op("Shrink", [a!], { lambd: 0.3, bias: 0.1 }),
          samples: 1e9,
        });
        assert.equal(result.checked, 24);
        assert.deepEqual(result.failures, []);
        assert.ok(result.worst.excess <= 0);
      } finally {
        unregisterGradient("Shrink");
      }
    } finally {
      unregisterOp("Shrink");
    }
    assert.ok(!registeredOps().includes("Shrink") && !registeredGradients().includes("Shrink"));
  });

  it("says, when an op has no gradient, which op it is, that registerGradient from nbresume/nn adds one and how to check it", () => {
    const message = autodiffMessages.noGradient("Shrink");
    for (const part of [
      "Op 'Shrink' has no gradient registered",
      `registerGradient({ opType: "Shrink", gradient })`,
      `"nbresume/nn"`,
      "checkGradients",
      "defineCompositeGradient",
    ]) {
      assert.ok(message.includes(part), `${JSON.stringify(message)} should mention ${part}`);
    }
    assert.ok(!message.includes("src/"), "a user cannot add files under src/");
    assert.ok(graphMessages.opNotRegistered("Shrink").includes("registerOp") && !graphMessages.opNotRegistered("Shrink").includes("src/"));
  });

  it("refuses a second gradient or schema for an op type, naming it and the replace option", () => {
    const gradient: GradientFn = () => [];
    const schema: OpSchema = { opType: "Sin", attributes: {}, infer: () => [] };
    assert.throws(() => registerGradient({ opType: "Sin", gradient }), { message: autodiffMessages.gradientAlreadyRegistered("Sin") });
    assert.ok(autodiffMessages.gradientAlreadyRegistered("Sin").includes("{ replace: true }"));
    assert.throws(() => registerOp(schema), { message: graphMessages.opAlreadyRegistered("Sin") });
    assert.ok(graphMessages.opAlreadyRegistered("Sin").includes("{ replace: true }"));
    // The refused registrations changed nothing.
    assert.notEqual(getGradient("Sin"), gradient);
    assert.notEqual(getOpSchema("Sin"), schema);
  });

  it("replaces a built-in gradient with { replace: true } and puts it back the same way", async () => {
    // A wrong gradient (dy · 2cos x) is used once registered, and fails the check...
    await withSinGradient(
      (ctx) => [scale(mul(ctx.dyOrZeros(0), cos(ctx.input(0))), 2)],
      async () => {
        await assert.rejects(checkGradients(SIN_CHECK), GradientCheckError);
      },
    );
    // ...and the built-in one is back afterwards.
    const result = await checkGradients(SIN_CHECK);
    assert.equal(result.failures.length, 0);
  });

  it("reports a wrong gradient naming the input, the worst element's position and both values", async () => {
    // Wrong only where x > 0: the sign of the slope is flipped there.
    const flipped: GradientFn = (ctx) => {
      const x = ctx.input(0);
      const slope = mul(ctx.dyOrZeros(0), cos(x));
      return [where(greater(x, scalarLike(x, 0)), neg(slope), slope)];
    };
    const error = await withSinGradient(flipped, async () => {
      try {
        await checkGradients(SIN_CHECK);
      } catch (e) {
        return e;
      }
      return assert.fail("the check should have failed");
    });
    assert.ok(error instanceof GradientCheckError);
    const { result } = error;
    const worst = result.failures[0]!;
    assert.equal(worst, result.worst);
    assert.equal(worst.input, "x");
    assert.deepEqual(worst.position, [Math.floor(worst.index / 4), worst.index % 4]);
    assert.ok(
      result.failures.every((f) => f.analytic * f.numeric < 0),
      "only the flipped elements fail",
    );
    assert.equal(error.message, autodiffMessages.gradientCheckFailed(result.failures, 12, { dtype: "float64", eps: 1e-6, rtol: 1e-6, atol: 1e-8 }));
    assert.ok(
      error.message.includes(
        `Worst: input 'x'[${worst.position.join(", ")}] (flat index ${worst.index}): analytic ${worst.analytic}, numeric ${worst.numeric}`,
      ),
      error.message,
    );
  });

  it("refuses a user gradient of the wrong shape, naming the op, the input and both shapes", async () => {
    await withSinGradient(
      (ctx) => [sumAll(ctx.dyOrZeros(0))],
      async () => {
        const g = new GraphBuilder();
        const x = g.input("x", "float64", [3, 4]);
        assert.throws(() => gradients(sumAll(sin(x)), [x]), {
          message: autodiffMessages.gradientMismatch("gradient of", "Sin", 0, "float64[]", "float64[3, 4]"),
        });
      },
    );
  });

  it("fails a gradient that is NaN instead of letting it pass", async () => {
    const error = await withSinGradient(
      (ctx) => [mul(ctx.dyOrZeros(0), log(scalarLike(ctx.input(0), -1)))],
      async () => {
        try {
          await checkGradients(SIN_CHECK);
        } catch (e) {
          return e;
        }
        return assert.fail("the check should have failed");
      },
    );
    assert.ok(error instanceof GradientCheckError);
    assert.equal(error.result.failures.length, 12);
    assert.ok(Number.isNaN(error.result.worst.analytic));
    assert.match(error.message, /Worst: input 'x'\[\d, \d\] \(flat index \d+\): analytic NaN/);
  });

  it("tells a user to check in float32 when onnxruntime has no float64 kernel for the op", async () => {
    await assert.rejects(
      checkGradients({ inputs: [{ name: "x", shape: [3] }], build: (_g, [x]) => softplus(x!) }),
      (e: unknown) =>
        e instanceof Error && /Could not find an implementation for Softplus/.test(e.message) && e.message.includes(`check them with dtype: "float32"`),
    );
  });

  it("checks a composite a user gives one gradient with defineCompositeGradient", async () => {
    // log cosh x, computed stably as x + softplus(−2x) − log 2, with the closed-form slope tanh x.
    const logCosh = (x: Value): Value => {
      const y = shift(add(x, softplus(scale(x, -2))), -Math.LN2);
      return defineCompositeGradient(y, { inputs: [x], gradient: (dy) => [mul(dy, tanh(x))] });
    };
    const result = await checkGradients({ dtype: "float32", inputs: [{ name: "x", shape: [4, 5], scale: 3 }], build: (_g, [x]) => logCosh(x!), samples: 1e9 });
    assert.equal(result.checked, 20);
  });

  it("refuses to unregister what is not registered and a definition that is not one, naming the op", () => {
    assert.throws(() => unregisterGradient("Shrink"), { message: autodiffMessages.gradientNotRegistered("Shrink") });
    assert.throws(() => unregisterOp("Shrink"), { message: graphMessages.opNotToUnregister("Shrink") });
    assert.throws(() => registerGradient({ opType: "", gradient: () => [] }), {
      name: "TypeError",
      message: autodiffMessages.badGradientDefinition("opType must be a non-empty string"),
    });
    assert.throws(() => registerGradient({ opType: "Shrink", gradient: "x" as unknown as GradientFn }), TypeError);
    assert.ok(!registeredGradients().includes("Shrink"));
  });
});
