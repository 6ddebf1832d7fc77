import { strict as assert } from "node:assert";
import { setTimeout as sleep } from "node:timers/promises";
import { mapConcurrent } from "../../src/checkpoint/map-concurrent.js";

describe("mapConcurrent (bounded parallel map, used to list checkpoints)", () => {
  it("returns results in input order whatever order the calls finish in", async () => {
    const delays = [30, 5, 20, 1, 10, 0, 25];
    const out = await mapConcurrent(delays, 3, async (d, i) => {
      await sleep(d);
      return `${i}:${d}`;
    });
    assert.deepEqual(
      out,
      delays.map((d, i) => `${i}:${d}`),
    );
  });

  it("never has more than `limit` calls in flight, and does use that many", async () => {
    let inFlight = 0;
    let peak = 0;
    await mapConcurrent(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      async () => {
        peak = Math.max(peak, ++inFlight);
        await sleep(2);
        inFlight--;
      },
    );
    assert.equal(peak, 4);
  });

  it("rejects with the first failure, handles an empty list, and refuses a limit below 1", async () => {
    await assert.rejects(
      mapConcurrent([1, 2, 3], 2, async (x) => {
        if (x === 2) throw new Error("two failed");
        return x;
      }),
      /two failed/,
    );
    assert.deepEqual(await mapConcurrent([], 8, async (x: number) => x), []);
    await assert.rejects(
      mapConcurrent([1], 0, async (x) => x),
      RangeError,
    );
  });
});
