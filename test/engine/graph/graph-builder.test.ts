import { strict as assert } from "node:assert";
import { add, cast, matmul, reshape, transpose } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { graphMessages } from "../../../src/engine/graph/messages.js";
import { opMessages } from "../../../src/engine/graph/ops/messages.js";

describe("graph builder: data-movement ops asked for twice are built once", () => {
  it("returns the first Reshape / Transpose / Cast for the same input and attributes", () => {
    const g = new GraphBuilder("shared");
    const x = g.input("x", "float32", [2, 3, 4]);
    const r1 = reshape(x, [6, 4]);
    const t1 = transpose(x, [2, 0, 1]);
    const c1 = cast(x, "float64");
    const before = g.nodes.length;
    assert.equal(reshape(x, [6, 4]), r1);
    assert.equal(transpose(x, [2, 0, 1]), t1);
    assert.equal(cast(x, "float64"), c1);
    assert.equal(g.nodes.length, before, "no node added for the repeated requests");
  });

  it("builds a new node when the input, the target or the attributes differ", () => {
    const g = new GraphBuilder("distinct");
    const x = g.input("x", "float32", [2, 3, 4]);
    const y = g.input("y", "float32", [2, 3, 4]);
    assert.notEqual(reshape(x, [6, 4]), reshape(x, [4, 6]));
    assert.notEqual(reshape(x, [6, 4]), reshape(y, [6, 4]));
    assert.notEqual(transpose(x, [2, 0, 1]), transpose(x, [1, 0, 2]));
    assert.equal(g.nodes.length, 5);
  });

  it("keeps every computing node, even when identical (only data movement is shared)", () => {
    const g = new GraphBuilder("compute");
    const x = g.input("x", "float32", [3]);
    const a = add(x, x);
    const b = add(x, x);
    assert.notEqual(a, b);
    assert.equal(g.nodes.length, 2);
  });

  it("exposes a shared value as two graph outputs, each under its own name", () => {
    const g = new GraphBuilder("outputs");
    const x = g.input("x", "float32", [2, 2]);
    g.output(reshape(x, [4]), "first");
    g.output(reshape(x, [4]), "second");
    assert.deepEqual(
      g.outputs.map((o) => o.name),
      ["first", "second"],
    );
    const [first, second] = g.outputs;
    assert.notEqual(first!.value, second!.value, "each output name is its own value");
    assert.equal(g.nodes.filter((n) => n.opType === "Reshape").length, 1);
  });
});

describe("graph builder: an op whose inputs do not fit says so when it is added", () => {
  it("names the op, what its shape inference found and every input's type", () => {
    const g = new GraphBuilder("g");
    const a = g.input("a", "float32", [2, 3]);
    const b = g.input("b", "float32", [4, 5]);
    assert.throws(() => matmul(a, b), { message: graphMessages.inferenceFailed("MatMul", opMessages.innerDimensions(3, 4), "float32[2, 3], float32[4, 5]") });
    assert.throws(() => reshape(a, [4, 2]), {
      message: graphMessages.inferenceFailed("Reshape", opMessages.reshapeSize([2, 3], [4, 2]), "float32[2, 3], int64[2]"),
    });
  });
});
