import { strict as assert } from "node:assert";
import { fromSafetensors } from "../../../src/engine/data/from-safetensors.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { SafetensorsErrorCode, safetensorsMessages, writeSafetensors } from "../../../src/checkpoint/safetensors/index.js";
import { type TensorGroup, tensor } from "../../../src/tensor.js";
import { useTempDir } from "./data-files.js";
import { layout, values } from "./dataset-contents.js";
import { rejectsWith } from "./rejects-with.js";

/** The bytes writeSafetensors produces for `tensors`. */
async function safetensorsBytes(tensors: TensorGroup, metadata?: Record<string, string>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await writeSafetensors(
    {
      write: async (c) => {
        chunks.push(c.slice());
      },
    },
    tensors,
    metadata,
  );
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

/** float32 values as float16 / bfloat16 bits (exact for these values). */
const half = (v: number[]): Uint16Array => Uint16Array.from(v, (x) => (x === 0.5 ? 0x3800 : x === -2 ? 0xc000 : x === 65504 ? 0x7bff : 0));
const bf16 = (v: number[]): Uint16Array => Uint16Array.from(v, (x) => new Uint32Array(Float32Array.from([x]).buffer)[0]! >>> 16);

describe("fromSafetensors: a safetensors file as a dataset, one column per tensor", () => {
  const dir = useTempDir("safetensors");

  it("round-trips column dtypes as they are and converts the others exactly, first dimension = examples", async () => {
    const tensors: TensorGroup = {
      images: tensor(
        "float32",
        [3, 2, 2],
        Float32Array.from({ length: 12 }, (_, i) => i / 8),
      ),
      labels: tensor("uint8", [3], Uint8Array.from([2, 0, 1])),
      ids: tensor("int64", [3], BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 63n - 1n])),
      counts: tensor("int32", [3, 1], Int32Array.from([-1, 0, 2147483647])),
      wide: tensor("float64", [3], Float64Array.from([0.5, -1.25, 2 ** 100])),
      half: tensor("float16", [3], half([0.5, -2, 65504])),
      brain: tensor("bfloat16", [3], bf16([1.5, -3, 2 ** 20])),
      small: tensor("int16", [3], Int16Array.from([-32768, 5, 32767])),
      tiny: tensor("int8", [3], Int8Array.from([-128, 0, 127])),
      mask: tensor("bool", [3], Uint8Array.from([1, 0, 1])),
    };
    const path = await dir.file("data.safetensors", await safetensorsBytes(tensors, { classes: "3" }));
    const d = await fromSafetensors(path);
    assert.equal(d.name, "data.safetensors");
    assert.equal(d.count, 3);
    assert.deepEqual(
      values(d, "images"),
      Array.from({ length: 12 }, (_, i) => i / 8),
    );
    assert.deepEqual(values(d, "labels"), [2, 0, 1]);
    assert.deepEqual(values(d, "ids"), [-(2n ** 63n), 0n, 2n ** 63n - 1n]);
    assert.deepEqual(values(d, "counts"), [-1, 0, 2147483647]);
    assert.deepEqual(values(d, "wide"), [0.5, -1.25, 2 ** 100]);
    assert.deepEqual(values(d, "half"), [0.5, -2, 65504]);
    assert.deepEqual(values(d, "brain"), [1.5, -3, 2 ** 20]);
    assert.deepEqual(values(d, "small"), [-32768, 5, 32767]);
    assert.deepEqual(values(d, "tiny"), [-128, 0, 127]);
    assert.deepEqual(values(d, "mask"), [1, 0, 1]);
    const expectedLayout: Record<string, [string, number[]]> = {
      images: ["float32", [2, 2]],
      labels: ["uint8", []],
      ids: ["int64", []],
      counts: ["int32", [1]],
      wide: ["float32", []],
      half: ["float32", []],
      brain: ["float32", []],
      small: ["int32", []],
      tiny: ["int32", []],
      mask: ["uint8", []],
    };
    assert.deepEqual(layout(d), expectedLayout); // deepEqual ignores key order: columns come in file order
    assert.deepEqual(d.info["metadata"], { classes: "3" });
    assert.equal((d.info["source"] as Record<string, unknown>)["format"], "safetensors");
  });

  describe("refuses files a dataset cannot be made of", () => {
    const cases: [string, () => Promise<Uint8Array>, string, (f: string) => string][] = [
      [
        "a 0-d tensor",
        () => safetensorsBytes({ x: tensor("float32", [2], Float32Array.from([1, 2])), s: tensor("float32", [], Float32Array.from([1])) }),
        DataErrorCode.ARRAY_SCALAR,
        (f) => msg.arrayScalar(f, "s"),
      ],
      [
        "tensors of different lengths",
        () => safetensorsBytes({ x: tensor("float32", [2], Float32Array.from([1, 2])), y: tensor("uint8", [3], Uint8Array.from([1, 2, 3])) }),
        DataErrorCode.COLUMNS_MISMATCH,
        (f) =>
          msg.columnsMismatch(f, [
            ["x", 2],
            ["y", 3],
          ]),
      ],
      [
        "float64 values that float32 cannot hold",
        () => safetensorsBytes({ x: tensor("float64", [2], Float64Array.from([1, 0.1])) }),
        DataErrorCode.CONVERSION_LOSSY,
        (f) =>
          msg.conversionLossy(
            f,
            "x",
            "float64",
            "float32",
            1,
            "0.1",
            "Save it as float32 (tensor.float() / a.astype(np.float32)); training computes in float32 anyway.",
          ),
      ],
      ["no tensors", () => safetensorsBytes({}), DataErrorCode.FILE_EMPTY, (f) => msg.fileEmpty(f, "it holds no tensors")],
      [
        "an empty tensor",
        () => safetensorsBytes({ x: tensor("float32", [0, 2], new Float32Array(0)) }),
        DataErrorCode.FILE_EMPTY,
        (f) => msg.fileEmpty(f, 'tensor "x" has shape [0, 2], which holds no values'),
      ],
    ];
    for (const [what, bytes, code, message] of cases) {
      it(what, async () => {
        const path = await dir.file("bad.safetensors", await bytes());
        await rejectsWith(fromSafetensors(path), code, message(path), path);
      });
    }

    it("a hostile file, with the safetensors reader's own error", async () => {
      const path = await dir.file("short.safetensors", Uint8Array.from([1, 2, 3]));
      await rejectsWith(fromSafetensors(path), SafetensorsErrorCode.TOO_SHORT, safetensorsMessages.tooShort(path, 3), path);
    });

    it("a missing file (DATA_FILE_UNREADABLE)", async () => {
      const path = `${dir.path}/none.safetensors`;
      await rejectsWith(fromSafetensors(path), DataErrorCode.FILE_UNREADABLE, msg.fileUnreadable(path, "no such file", process.cwd()), path);
    });
  });
});
