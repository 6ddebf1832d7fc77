import { strict as assert } from "node:assert";
import { allocate, cloneTensor, elementCount, tensor, tensorBytes } from "../src/tensor.js";

describe("tensor", () => {
  it("counts one element for a scalar and zero for an empty dimension", () => {
    assert.equal(elementCount([]), 1);
    assert.equal(elementCount([3, 0, 2]), 0);
    assert.equal(elementCount([2, 3, 4]), 24);
  });

  it("rejects data whose length does not match the shape", () => {
    assert.throws(() => tensor("float32", [2, 2], new Float32Array(3)), RangeError);
  });

  it("clones into a buffer the original does not share", () => {
    const t = tensor("float32", [2], new Float32Array([1, 2]));
    const c = cloneTensor(t);
    t.data[0] = 9;
    assert.equal(c.data[0], 1);
  });

  it("views data bytes without copying", () => {
    const t = tensor("int32", [1], allocate("int32", 1));
    tensorBytes(t)[0] = 7;
    assert.equal(t.data[0], 7);
  });
});
