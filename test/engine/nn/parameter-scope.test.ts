import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { initialParameters } from "../../../src/engine/nn/initial-parameters.js";
import { ones, zeros, normal } from "../../../src/engine/nn/initializers.js";
import { nnMessages as msg } from "../../../src/engine/nn/messages.js";
import { bindAsInitializers, bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import type { ParameterScope } from "../../../src/engine/nn/parameter-scope.js";
import { createGenerator } from "../../../src/engine/random/index.js";

function scope(training = true): ReturnType<typeof createParameterScope> {
  return createParameterScope(new GraphBuilder("test"), bindAsInputs(), { training });
}

describe("ParameterScope", () => {
  it("names parameters hierarchically and records them in declaration order", () => {
    const s = scope();
    const down = s.scope.child("down1");
    const w = down.child("conv").param("weight", [8, 4, 3, 3], zeros());
    down.param("scale", [8], ones());
    s.scope.param("bias", [2], zeros());
    assert.equal(w.name, "down1.conv.weight");
    assert.deepEqual(w.shape, [8, 4, 3, 3]);
    assert.equal(down.path, "down1");
    assert.deepEqual(
      s.specs().map((p) => p.name),
      ["down1.conv.weight", "down1.scale", "bias"],
    );
    assert.deepEqual(
      s.scope.graph.inputs.map((v) => v.name),
      ["down1.conv.weight", "down1.scale", "bias"],
    );
  });

  it("applies weight decay to weights of rank ≥ 2 by default, not to vectors, unless told", () => {
    const s = scope();
    s.scope.param("w", [3, 3], zeros());
    s.scope.param("b", [3], zeros());
    s.scope.param("gain", [3], ones(), { decay: true });
    s.scope.param("table", [3, 3], zeros(), { decay: false });
    assert.deepEqual(
      s.specs().map((p) => [p.name, p.decay]),
      [
        ["w", true],
        ["b", false],
        ["gain", true],
        ["table", false],
      ],
    );
  });

  it("returns the same Value when a name is asked for again (shared weights), and refuses another shape", () => {
    const s = scope();
    const a = s.scope.child("emb").param("table", [10, 4], zeros());
    const b = s.scope.child("emb").param("table", [10, 4], zeros());
    assert.equal(a, b);
    assert.equal(s.specs().length, 1);
    assert.throws(() => s.scope.child("emb").param("table", [4, 10], zeros()), {
      name: "RangeError",
      message: msg.shapeChanged("emb.table", [10, 4], [4, 10]),
    });
  });

  it("rejects bad names and shapes with errors saying what is allowed", () => {
    const s = scope();
    assert.throws(() => s.scope.child("a.b"), { name: "TypeError", message: msg.badName("child", "a.b", "") });
    assert.throws(() => s.scope.child("x").param("", [1], zeros()), { name: "TypeError", message: msg.badName("param", "", "x") });
    assert.throws(() => s.scope.param("w", [3, 0], zeros()), { name: "RangeError", message: msg.badShape("w", [3, 0]) });
    assert.throws(() => s.scope.param("w", [2.5], zeros()), { name: "RangeError", message: msg.badShape("w", [2.5]) });
  });

  it("carries the training flag into every child scope", () => {
    const check = (s: ParameterScope, training: boolean): void => assert.equal(s.child("a").child("b").training, training);
    check(scope(true).scope, true);
    check(scope(false).scope, false);
  });

  it("binds parameters as initializers holding given values, checking their shapes", () => {
    const g = new GraphBuilder("export");
    const values = { "fc.weight": { dtype: "float32" as const, shape: [2, 3], data: new Float32Array(6).fill(1) } };
    const s = createParameterScope(g, bindAsInitializers(values), { training: false });
    const w = s.scope.child("fc").param("weight", [2, 3], zeros());
    assert.equal(w.kind, "initializer");
    assert.deepEqual(w.constant?.data, values["fc.weight"].data);
    assert.throws(() => s.scope.child("fc").param("bias", [3], zeros()), { message: msg.missingValue("fc.bias", ["fc.weight"]) });
  });

  it("draws initial values in declaration order from the generator: same seed, same values", () => {
    const s = scope();
    s.scope.param("a", [50], normal(0.5));
    s.scope.param("b", [4], ones());
    s.scope.param("c", [30], normal(2));
    const first = initialParameters(s.specs(), createGenerator(42));
    const second = initialParameters(s.specs(), createGenerator(42));
    assert.deepEqual(first, second);
    assert.deepEqual(first["b"]!.data, Float32Array.of(1, 1, 1, 1));
    // a's 50 normals come first from the stream; c continues where a stopped.
    const rng = createGenerator(42);
    const a = rng.fillNormal(new Float32Array(50), 0, 0.5);
    const c = rng.fillNormal(new Float32Array(30), 0, 2);
    assert.deepEqual(first["a"]!.data, a);
    assert.deepEqual(first["c"]!.data, c);
  });
});
