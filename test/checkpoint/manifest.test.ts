import { strict as assert } from "node:assert";
import fc from "fast-check";
import { hashBytes } from "../../src/checkpoint/hash.js";
import { type Manifest, parseManifest, serializeManifest } from "../../src/checkpoint/manifest.js";
import { CheckpointErrorCode, badArgument, invalidContent, checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { parseState, serializeState } from "../../src/checkpoint/state-file.js";
import { isNbresumeError } from "../../src/errors.js";

const good: Manifest = {
  format: 1,
  nbresume: "0.1.0",
  kind: "rolling",
  step: 1200,
  epoch: 3,
  metrics: { val_loss: 0.41, lr: 0.001 },
  created: "2025-01-02T03:04:05.678Z",
  files: {
    "model.safetensors": { bytes: 1024, hash: "xxh64:0123456789abcdef" },
    "optimizer.safetensors": { bytes: 2048, hash: "xxh64:fedcba9876543210" },
    "state.json": { bytes: 300, hash: "xxh64:00000000000000ff" },
  },
};

/** A manifest with its checksum recomputed, as if written by a buggy or hostile tool. */
function forged(body: Record<string, unknown>): Uint8Array {
  const text = JSON.stringify(body, null, 2);
  return new TextEncoder().encode(`${text.slice(0, -2)},\n  "checksum": "${hashBytes(text)}"\n}\n`);
}

function rejects(bytes: Uint8Array, detail: string | RegExp): void {
  assert.throws(
    () => parseManifest(bytes),
    (e: unknown) => {
      assert.ok(isNbresumeError(e, CheckpointErrorCode.CORRUPT), String(e));
      if (typeof detail === "string") assert.equal(e.message, messages.fileInvalid("manifest.json", detail));
      else assert.match(e.message, detail);
      return true;
    },
  );
}

describe("manifest.json", () => {
  it("round-trips, writing a non-finite metric as null and reading it back as NaN", () => {
    assert.deepEqual(parseManifest(serializeManifest(good)), good);
    const diverged = parseManifest(serializeManifest({ ...good, metrics: { loss: Number.POSITIVE_INFINITY } }));
    assert.ok(Number.isNaN(diverged.metrics.loss));
  });

  it("rejects each malformed field with its own message, even with a valid checksum", () => {
    const base = { ...good } as Record<string, unknown>;
    const hash = "xxh64:0123456789abcdef";
    rejects(forged({ ...base, extra: 1 }), invalidContent.unknownField("extra"));
    const { epoch: _epoch, ...noEpoch } = base;
    rejects(forged(noEpoch), invalidContent.missingField("epoch"));
    rejects(forged({ ...base, format: 2 }), invalidContent.unsupportedFormat(2, 1));
    rejects(forged({ ...base, kind: "daily" }), invalidContent.badKind("daily"));
    rejects(forged({ ...base, step: -1 }), invalidContent.notCount("step", -1));
    rejects(forged({ ...base, step: 1.5 }), invalidContent.notCount("step", 1.5));
    rejects(forged({ ...base, metrics: { loss: "low" } }), invalidContent.badMetric("loss", "low"));
    rejects(forged({ ...base, created: "yesterday" }), invalidContent.badCreated("yesterday"));
    rejects(forged({ ...base, files: { ...good.files, "../model.safetensors": { bytes: 1, hash } } }), invalidContent.badFileName("../model.safetensors"));
    rejects(forged({ ...base, files: { ...good.files, "sub/x.safetensors": { bytes: 1, hash } } }), invalidContent.badFileName("sub/x.safetensors"));
    rejects(forged({ ...base, files: { ...good.files, "model.safetensors": { bytes: 1, hash, mode: 7 } } }), invalidContent.badFileEntry("model.safetensors"));
    rejects(forged({ ...base, files: { ...good.files, "model.safetensors": { bytes: -5, hash } } }), invalidContent.badFileEntry("model.safetensors"));
    rejects(
      forged({ ...base, files: { ...good.files, "model.safetensors": { bytes: 5, hash: "crc32:1234" } } }),
      invalidContent.badFileEntry("model.safetensors"),
    );
    rejects(forged({ ...base, files: { "model.safetensors": { bytes: 5, hash } } }), invalidContent.noStateFile());
  });

  it("rejects text that is not UTF-8, not JSON, not an object, too large or not canonical", () => {
    rejects(new Uint8Array([0x7b, 0xff, 0x7d]), invalidContent.notUtf8());
    rejects(new TextEncoder().encode("{ nope"), /^manifest\.json: not valid JSON/);
    rejects(new TextEncoder().encode("[1]"), invalidContent.notObject());
    rejects(new Uint8Array(2 * 1024 * 1024).fill(0x20), invalidContent.tooLarge(2 * 1024 * 1024, 1024 * 1024));
    const text = new TextDecoder().decode(serializeManifest(good));
    rejects(new TextEncoder().encode(text.replace('"step": 1200', '"step":  1200')), invalidContent.notCanonical());
    rejects(
      new TextEncoder().encode(text.replace('"step": 1200', '"step": 1201')),
      /checksum xxh64:[0-9a-f]{16} expected, xxh64:[0-9a-f]{16} found \(the manifest changed\)/,
    );
  });

  it("detects any single changed byte, and only ever throws CHECKPOINT_CORRUPT", () => {
    const bytes = serializeManifest(good);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutated = bytes.slice();
        mutated[at] = (mutated[at] as number) ^ xor;
        assert.throws(
          () => parseManifest(mutated),
          (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CORRUPT),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("only ever throws CHECKPOINT_CORRUPT for arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const bytes = new TextEncoder().encode(JSON.stringify(value));
        assert.throws(
          () => parseManifest(bytes),
          (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CORRUPT),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe("state.json", () => {
  const header = { kind: "rolling" as const, step: 5, epoch: 0, metrics: { loss: 1 }, nbresume: "0.1.0" };

  it("puts the store's fields first and keeps the caller's state", () => {
    const state = parseState(serializeState(header, { rng: [1, 2], cursor: 9 }));
    assert.deepEqual(Object.keys(state), ["format", "nbresume", "kind", "step", "epoch", "metrics", "rng", "cursor"]);
    assert.deepEqual(state.rng, [1, 2]);
  });

  it("lets the caller repeat a store field only with the same value", () => {
    assert.doesNotThrow(() => serializeState(header, { step: 5 }));
    assert.throws(() => serializeState(header, { epoch: 2 }), {
      name: "TypeError",
      message: badArgument.stateConflict("epoch", 2, 0, ["format", "nbresume", "kind", "step", "epoch", "metrics"]),
    });
    assert.throws(() => serializeState(header, []), TypeError);
  });

  it("rejects a state file without the store's fields", () => {
    assert.throws(
      () => parseState(new TextEncoder().encode('{"format":1,"nbresume":"0.1.0","kind":"rolling","epoch":0,"metrics":{}}')),
      (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CORRUPT) && e.message === messages.fileInvalid("state.json", invalidContent.missing("step")),
    );
  });
});
