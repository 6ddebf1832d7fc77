/**
 * The WAV writer and reader: round trips (PCM16 within one step, float32 exactly), the bytes of
 * the header, clipping and non-finite samples, and the reader against hand-built hostile files
 * (one per error code) and fast-check mutations of valid ones.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { isNbresumeError, NbresumeError } from "../../src/errors.js";
import { RenderErrorCode as Code, renderMessages as msg } from "../../src/render/messages.js";
import { decodeWav, encodeWav, WAV_LIMITS } from "../../src/render/wav.js";

const LSB = 1 / 32767;

/** A deterministic test signal: a chirp plus noise, reaching ±0.95. */
function signal(n: number, seed = 1): Float32Array {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Float32Array.from({ length: n }, (_, i) => 0.8 * Math.sin(0.001 * i * i) + 0.15 * rnd());
}

// ---- hand-built files ----------------------------------------------------------------------

function ascii(id: string): number[] {
  return [...id].map((c) => c.charCodeAt(0));
}

function u16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** A chunk: id, size (the body's length unless given), body, and a pad byte after an odd body. */
function chunk(id: string, body: readonly number[], declaredSize = body.length): number[] {
  return [...ascii(id), ...u32(declaredSize), ...body, ...(body.length % 2 === 1 ? [0] : [])];
}

/** RIFF/WAVE around the chunks, the RIFF size covering exactly what follows it. */
function riff(...chunks: readonly number[][]): Uint8Array {
  const body = [...ascii("WAVE"), ...chunks.flat()];
  return Uint8Array.from([...ascii("RIFF"), ...u32(body.length), ...body]);
}

interface FmtFields {
  code?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  byteRate?: number;
}

/** A PCM fmt chunk body; any field can be set wrong. */
function fmtBody(f: FmtFields = {}): number[] {
  const channels = f.channels ?? 1;
  const bits = f.bits ?? 16;
  const rate = f.rate ?? 8000;
  const blockAlign = f.blockAlign ?? (channels * bits) / 8;
  return [...u16(f.code ?? 1), ...u16(channels), ...u32(rate), ...u32(f.byteRate ?? rate * blockAlign), ...u16(blockAlign), ...u16(bits)];
}

function int16s(...values: number[]): number[] {
  return values.flatMap((v) => u16(v & 0xffff));
}

function rejects(bytes: Uint8Array, code: string, message?: string): void {
  assert.throws(
    () => decodeWav(bytes),
    (e: unknown) => {
      assert.ok(isNbresumeError(e, code), `expected ${code}, got ${String(e)}`);
      if (message !== undefined) assert.equal(e.message, message);
      assert.equal(e.where, "decodeWav");
      return true;
    },
  );
}

describe("render/wav: writing", () => {
  it("writes mono PCM16 that reads back with the same length, channel count and sample rate, within one step", () => {
    const samples = signal(10_000);
    const wav = encodeWav({ channels: samples, sampleRate: 22_050 });
    assert.equal(wav.bytes.length, 44 + 2 * samples.length, "a canonical 44-byte header, then the samples");
    const back = decodeWav(wav.bytes);
    assert.deepEqual([back.sampleRate, back.channels.length, back.frames, back.encoding, back.bitDepth], [22_050, 1, 10_000, "pcm", 16]);
    let worst = 0;
    samples.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - back.channels[0]![i]!))));
    assert.ok(worst <= LSB, `largest error ${worst} is more than one step (${LSB})`);
    assert.ok(worst > 0, "a PCM16 round trip of noise is not exact: the test would not see a lossy path");
  });

  it("lays out the canonical header: RIFF size, fmt fields, data size", () => {
    const wav = encodeWav({ channels: [new Float32Array(3), new Float32Array(3)], sampleRate: 8000 });
    const v = new DataView(wav.bytes.buffer);
    const tag = (o: number): string => Buffer.from(wav.bytes.subarray(o, o + 4)).toString("latin1");
    assert.deepEqual([tag(0), v.getUint32(4, true), tag(8), tag(12), v.getUint32(16, true)], ["RIFF", wav.bytes.length - 8, "WAVE", "fmt ", 16]);
    // format 1 (PCM), 2 channels, 8000 Hz, 32000 bytes/s, 4-byte frames, 16 bits
    assert.deepEqual(
      [v.getUint16(20, true), v.getUint16(22, true), v.getUint32(24, true), v.getUint32(28, true), v.getUint16(32, true), v.getUint16(34, true)],
      [1, 2, 8000, 32000, 4, 16],
    );
    assert.deepEqual([tag(36), v.getUint32(40, true)], ["data", 12]);
  });

  it("rounds to the nearest PCM16 code without dither, full scale at ±1", () => {
    const wav = encodeWav({ channels: Float32Array.from([1, -1, 0, 0.25, 0.49 * LSB, 0.51 * LSB, -0.51 * LSB]), sampleRate: 8000 });
    const codes = Array.from({ length: 7 }, (_, i) => new DataView(wav.bytes.buffer).getInt16(44 + 2 * i, true));
    assert.deepEqual(codes, [32767, -32767, 0, 8192, 0, 1, -1]);
  });

  it("writes stereo IEEE float32 that reads back exactly, values beyond ±1 included", () => {
    const left = Float32Array.from([0, 1.5, -2, 1e-40, -0.125, 3.4e38]);
    const right = Float32Array.from([0.1, -0.1, 0.7, -1, 1, 0]);
    const wav = encodeWav({ channels: [left, right], sampleRate: 48_000, bitDepth: 32 });
    assert.equal(wav.clipped, 0);
    const v = new DataView(wav.bytes.buffer);
    assert.equal(v.getUint16(20, true), 3, "format code 3: IEEE float");
    assert.equal(Buffer.from(wav.bytes.subarray(38, 42)).toString("latin1"), "fact", "non-PCM data carries a fact chunk");
    assert.equal(v.getUint32(46, true), 6, "the fact chunk counts frames");
    const back = decodeWav(wav.bytes);
    assert.deepEqual([back.encoding, back.bitDepth, back.frames], ["float", 32, 6]);
    assert.deepEqual(back.channels, [left, right]);
  });

  it("writes more than two channels as WAVE_FORMAT_EXTENSIBLE, PCM and float, and reads them back", () => {
    const channels = [signal(50, 1), signal(50, 2), signal(50, 3)];
    for (const bitDepth of [16, 32] as const) {
      const wav = encodeWav({ channels, sampleRate: 16_000, bitDepth });
      assert.equal(new DataView(wav.bytes.buffer).getUint16(20, true), 0xfffe);
      const back = decodeWav(wav.bytes);
      assert.equal(back.channels.length, 3);
      back.channels.forEach((c, k) => c.forEach((x, i) => assert.ok(Math.abs(x - channels[k]![i]!) <= (bitDepth === 16 ? LSB : 0))));
    }
  });

  it("clips PCM16 to full scale and writes NaN and ±Infinity as silence, counting each", () => {
    const wav = encodeWav({ channels: Float32Array.from([2, -3, NaN, Infinity, -Infinity, 0.5]), sampleRate: 8000 });
    assert.deepEqual([wav.clipped, wav.nonFinite], [2, 3]);
    const back = Array.from(decodeWav(wav.bytes).channels[0]!);
    assert.deepEqual(back.slice(0, 5), [1, -1, 0, 0, 0]);
    assert.ok(Math.abs(back[5]! - 0.5) <= LSB);
    const float = encodeWav({ channels: Float32Array.from([NaN, 2]), sampleRate: 8000, bitDepth: 32 });
    assert.deepEqual([float.nonFinite, float.clipped], [1, 0]);
    assert.deepEqual(Array.from(decodeWav(float.bytes).channels[0]!), [0, 2]);
  });

  it("writes an empty clip as a valid file with no frames", () => {
    const back = decodeWav(encodeWav({ channels: new Float32Array(0), sampleRate: 8000 }).bytes);
    assert.deepEqual([back.frames, back.channels[0]!.length], [0, 0]);
  });

  it("refuses channels of different lengths, a bad sample rate or bit depth, and non-Float32Array data", () => {
    assert.throws(() => encodeWav({ channels: [new Float32Array(3), new Float32Array(4)], sampleRate: 8000 }), {
      name: "RangeError",
      message: msg.wavBadChannels("channels[1] has 4 samples but channels[0] has 3"),
    });
    assert.throws(() => encodeWav({ channels: [new Float64Array(3) as unknown as Float32Array], sampleRate: 8000 }), {
      name: "TypeError",
      message: msg.wavBadChannels("channels[0] is a Float64Array"),
    });
    assert.throws(() => encodeWav({ channels: [], sampleRate: 8000 }), { name: "RangeError", message: msg.wavBadChannels("got 0 channels") });
    assert.throws(() => encodeWav({ channels: new Float32Array(1), sampleRate: 0 }), { name: "RangeError", message: /sampleRate must be an integer/ });
    assert.throws(() => encodeWav({ channels: new Float32Array(1), sampleRate: 44_100.5 }), { name: "RangeError" });
    assert.throws(() => encodeWav({ channels: new Float32Array(1), sampleRate: 8000, bitDepth: 24 as 16 }), {
      name: "RangeError",
      message: /bitDepth must be 16 or 32/,
    });
  });
});

describe("render/wav: reading untrusted bytes", () => {
  const fmt = chunk("fmt ", fmtBody());
  const data = chunk("data", int16s(0, 1000, -1000));

  it("reads a hand-built file, skipping unknown chunks and an odd chunk's pad byte", () => {
    const back = decodeWav(riff(fmt, chunk("LIST", ascii("INFOabc")), data));
    assert.deepEqual(Array.from(back.channels[0]!), [0, 1000 / 32767, -1000 / 32767].map(Math.fround));
    const lastWithoutPad = riff(fmt, data, ascii("junk").concat(u32(3), [1, 2, 3]));
    assert.equal(decodeWav(lastWithoutPad).frames, 3, "a last chunk without its pad byte is accepted");
  });

  it("reads 8-, 24- and 32-bit PCM and 64-bit float", () => {
    const pcm8 = decodeWav(riff(chunk("fmt ", fmtBody({ bits: 8 })), chunk("data", [128, 255, 0, 1])));
    assert.deepEqual(Array.from(pcm8.channels[0]!), [0, 1, -1, -1]);
    const pcm24 = decodeWav(riff(chunk("fmt ", fmtBody({ bits: 24 })), chunk("data", [0xff, 0xff, 0x7f, 0x01, 0x00, 0x80, 0, 0, 0x40])));
    assert.deepEqual(Array.from(pcm24.channels[0]!), [1, -1, Math.fround(0x400000 / 8388607)]);
    const pcm32 = decodeWav(riff(chunk("fmt ", fmtBody({ bits: 32 })), chunk("data", [...u32(0x7fffffff), ...u32(0x80000000)])));
    assert.deepEqual(Array.from(pcm32.channels[0]!), [1, -1]);
    const f64 = new Uint8Array(new Float64Array([0.5, -0.25]).buffer);
    const float64 = decodeWav(riff(chunk("fmt ", fmtBody({ code: 3, bits: 64 })), chunk("data", [...f64])));
    assert.deepEqual([float64.encoding, ...float64.channels[0]!], ["float", 0.5, -0.25]);
  });

  it("rejects bytes that are not RIFF/WAVE", () => {
    rejects(Uint8Array.from([...ascii("RIFX"), ...u32(4), ...ascii("WAVE")]), Code.WAV_NOT_WAVE, msg.wavNotWave('"RIFX"'));
    rejects(Uint8Array.from([...ascii("RIFF"), ...u32(4), ...ascii("AVI ")]), Code.WAV_NOT_WAVE, msg.wavNotWave('"RIFF" then "AVI "'));
    rejects(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Code.WAV_NOT_WAVE, msg.wavNotWave('"\\x89PNG"'));
    assert.throws(() => decodeWav([1, 2, 3] as unknown as Uint8Array), { name: "TypeError", message: msg.wavNotBytes([1, 2, 3]) });
  });

  it("rejects a truncated header, a file cut short and a chunk header cut off", () => {
    rejects(Uint8Array.from(ascii("RIFF")), Code.WAV_TRUNCATED, msg.wavTruncated("RIFF header", 0, 12, 4));
    const whole = encodeWav({ channels: signal(100), sampleRate: 8000 }).bytes;
    rejects(whole.subarray(0, 100), Code.WAV_TRUNCATED, msg.wavRiffSize(whole.length, 100));
    const cutHeader = riff(fmt, ascii("dat"));
    rejects(cutHeader, Code.WAV_TRUNCATED, msg.wavTruncated("chunk header", 36, 8, 3));
  });

  it("rejects bytes after the RIFF chunk", () => {
    const whole = encodeWav({ channels: signal(10), sampleRate: 8000 }).bytes;
    const longer = Uint8Array.from([...whole, 0, 0, 0]);
    rejects(longer, Code.WAV_TRAILING_BYTES, msg.wavTrailing(whole.length, whole.length + 3));
  });

  it("rejects a chunk declaring more bytes than remain (4 GiB data) without allocating them", () => {
    const huge = riff(fmt, [...ascii("data"), ...u32(0xffffffff), ...int16s(1, 2)]);
    rejects(huge, Code.WAV_BAD_CHUNK, msg.wavChunkOverrun("data", 36, 0xffffffff, 4));
    const hugeFmt = riff([...ascii("fmt "), ...u32(0x7fffffff), 0, 0], data);
    rejects(hugeFmt, Code.WAV_BAD_CHUNK, msg.wavChunkOverrun("fmt ", 12, 0x7fffffff, 16));
  });

  it("rejects a data chunk that ends mid-frame", () => {
    rejects(riff(fmt, chunk("data", [1, 2, 3])), Code.WAV_BAD_CHUNK, msg.wavPartialFrame(3, 2));
  });

  it("rejects a missing or repeated fmt or data chunk", () => {
    rejects(riff(fmt), Code.WAV_MISSING_CHUNK, msg.wavMissing("data"));
    rejects(riff(data), Code.WAV_MISSING_CHUNK, msg.wavMissing("fmt "));
    rejects(riff(fmt, fmt, data), Code.WAV_DUPLICATE_CHUNK, msg.wavDuplicate("fmt ", 36));
    rejects(riff(fmt, data, data), Code.WAV_DUPLICATE_CHUNK, msg.wavDuplicate("data", 50));
  });

  it("rejects encodings it does not decode, naming them", () => {
    rejects(riff(chunk("fmt ", fmtBody({ code: 6, bits: 8 })), data), Code.WAV_UNSUPPORTED, msg.wavUnsupported("format code 6 (A-law)"));
    rejects(riff(chunk("fmt ", fmtBody({ code: 0x1234 })), data), Code.WAV_UNSUPPORTED, msg.wavUnsupported("format code 4660"));
    rejects(riff(chunk("fmt ", fmtBody({ bits: 12, blockAlign: 2 })), data), Code.WAV_UNSUPPORTED, msg.wavUnsupported("12-bit PCM"));
    rejects(riff(chunk("fmt ", fmtBody({ code: 3, bits: 16 })), data), Code.WAV_UNSUPPORTED, msg.wavUnsupported("16-bit float"));
    // WAVE_FORMAT_EXTENSIBLE whose subformat GUID is not PCM or float.
    const ext = [...fmtBody({ code: 0xfffe }), ...u16(22), ...u16(16), ...u32(0), ...u32(1), ...Array<number>(12).fill(7)];
    rejects(riff(chunk("fmt ", ext), data), Code.WAV_UNSUPPORTED, msg.wavUnsupported("an extensible format whose subformat is not PCM or IEEE float"));
  });

  it("rejects a fmt chunk that contradicts itself", () => {
    rejects(riff(chunk("fmt ", fmtBody().slice(0, 14)), data), Code.WAV_BAD_FORMAT, msg.wavBadFormat("chunk size", 14, "a fmt chunk has at least 16 bytes"));
    rejects(riff(chunk("fmt ", fmtBody({ blockAlign: 4 })), data), Code.WAV_BAD_FORMAT, msg.wavBadFormat("block align", 4, "1 channels of 16 bits need 2"));
    rejects(riff(chunk("fmt ", fmtBody({ byteRate: 1 })), data), Code.WAV_BAD_FORMAT, msg.wavBadFormat("byte rate", 1, "8000 Hz × 2 bytes is 16000"));
    rejects(
      riff(chunk("fmt ", fmtBody({ channels: 0, blockAlign: 2 })), data),
      Code.WAV_BAD_FORMAT,
      msg.wavBadFormat("channels", 0, "a file needs at least one"),
    );
    rejects(riff(chunk("fmt ", fmtBody({ rate: 0, byteRate: 0 })), data), Code.WAV_BAD_FORMAT, msg.wavBadFormat("sample rate", 0, "it must be positive"));
    rejects(riff(chunk("fmt ", fmtBody({ code: 0xfffe })), data), Code.WAV_BAD_FORMAT, msg.wavBadFormat("chunk size", 16, "WAVE_FORMAT_EXTENSIBLE needs 40"));
  });

  it("caps channels, sample rate and frames, with limits a caller can raise", () => {
    rejects(
      riff(chunk("fmt ", fmtBody({ channels: 200 })), chunk("data", new Array<number>(400).fill(0))),
      Code.WAV_TOO_LARGE,
      msg.wavTooLarge("the channel count", 200, 64),
    );
    rejects(
      riff(chunk("fmt ", fmtBody({ rate: 4_000_000 })), data),
      Code.WAV_TOO_LARGE,
      msg.wavTooLarge("the sample rate", 4_000_000, WAV_LIMITS.maxSampleRate),
    );
    const long = encodeWav({ channels: signal(100), sampleRate: 8000 }).bytes;
    assert.throws(
      () => decodeWav(long, { maxFrames: 99 }),
      (e: unknown) => isNbresumeError(e, Code.WAV_TOO_LARGE) && e.message === msg.wavTooLarge("the frame count", 100, 99),
    );
    assert.equal(decodeWav(long, { maxFrames: 100 }).frames, 100);
    assert.throws(() => decodeWav(long, { maxFrames: 0 }), { name: "RangeError" });
  });
});

describe("render/wav: reader under fuzzing (fast-check)", () => {
  /** Either a consistent decode or an NbresumeError with a WAV code: never a RangeError from a DataView. */
  function check(bytes: Uint8Array): void {
    try {
      const out = decodeWav(bytes);
      assert.ok(out.channels.length >= 1 && out.channels.every((c) => c.length === out.frames));
      assert.ok(out.channels.length * out.frames * (out.bitDepth / 8) <= bytes.length, "never more samples than the bytes hold");
    } catch (e) {
      if (!(e instanceof NbresumeError) || !e.code.startsWith("RENDER_WAV_")) throw e;
    }
  }

  const valid = [
    encodeWav({ channels: signal(16), sampleRate: 8000 }).bytes,
    encodeWav({ channels: [signal(8), signal(8, 2)], sampleRate: 44_100, bitDepth: 32 }).bytes,
    encodeWav({ channels: [signal(4), signal(4, 2), signal(4, 3)], sampleRate: 16_000 }).bytes,
  ];

  it("refuses random byte strings, with and without a RIFF/WAVE prefix, with WAV errors only (2,000 runs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => check(b)),
      { numRuns: 1000 },
    );
    const prefixed = fc.uint8Array({ maxLength: 80 }).map((tail) => {
      const out = Uint8Array.from([...ascii("RIFF"), ...u32(tail.length + 4), ...ascii("WAVE"), ...tail]);
      return out;
    });
    fc.assert(
      fc.property(prefixed, (b) => check(b)),
      { numRuns: 1000 },
    );
  });

  it("handles valid files with random bytes overwritten, cut or appended (3,000 runs)", () => {
    const mutation = fc.record({
      file: fc.integer({ min: 0, max: valid.length - 1 }),
      writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat()),
      fixRiffSize: fc.boolean(),
    });
    fc.assert(
      fc.property(mutation, ({ file, writes, cut, fixRiffSize }) => {
        let bytes = Uint8Array.from(valid[file]!);
        for (const [at, value] of writes) bytes[at % bytes.length] = value;
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        // Keep the RIFF size right half the time, so mutations reach the chunks behind it.
        if (fixRiffSize && bytes.length >= 8) new DataView(bytes.buffer, bytes.byteOffset).setUint32(4, bytes.length - 8, true);
        check(bytes);
      }),
      { numRuns: 3000 },
    );
  });
});
