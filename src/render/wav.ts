/**
 * Our own RIFF/WAVE writer and reader, so an audio preview needs no native codec.
 *
 * Writer: PCM 16-bit (clipped to [-1, 1], rounded, no dither) or IEEE float 32-bit, interleaved;
 * WAVE_FORMAT_EXTENSIBLE above two channels, a fact chunk for float. NaN and ±Infinity are written
 * as 0 and counted, never passed on: a player would turn them into a full-scale click.
 *
 * Reader: the bytes are untrusted (a user's file, a checkpoint's preview). Every size is checked
 * against the bytes actually there before it is used, the RIFF chunk must cover the file exactly,
 * channels, sample rate and frames are capped, and each failure has its own error code.
 *
 *   "RIFF" size "WAVE" │ "fmt " size fields… │ ["fact" …] │ "data" size frames… │ [other chunks]
 */
import { NbresumeError } from "../errors.js";
import { RenderErrorCode, renderMessages as msg } from "./messages.js";

export interface EncodeWavOptions {
  /** One Float32Array for mono, or one per channel (all the same length), values nominally in [-1, 1]. */
  readonly channels: readonly Float32Array[] | Float32Array;
  /** Frames per second, an integer from 1 to 1,536,000. */
  readonly sampleRate: number;
  /** 16 (PCM, default) or 32 (IEEE float, exact). */
  readonly bitDepth?: 16 | 32;
}

export interface EncodedWav {
  readonly bytes: Uint8Array;
  readonly frames: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitDepth: 16 | 32;
  /** Samples that were NaN or ±Infinity, written as 0. */
  readonly nonFinite: number;
  /** PCM samples outside [-1, 1], written as full scale. Always 0 for float. */
  readonly clipped: number;
}

export interface DecodeWavOptions {
  /** Default 64. */
  readonly maxChannels?: number;
  /** Default 1,536,000 Hz. */
  readonly maxSampleRate?: number;
  /** Default 2^27 frames (about 47 minutes at 48 kHz). */
  readonly maxFrames?: number;
}

export interface DecodedWav {
  readonly sampleRate: number;
  /** One array per channel, values in [-1, 1] for PCM. */
  readonly channels: Float32Array[];
  readonly frames: number;
  readonly encoding: "pcm" | "float";
  readonly bitDepth: number;
}

export const WAV_LIMITS = { maxChannels: 64, maxSampleRate: 1_536_000, maxFrames: 2 ** 27 } as const;

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** The last 12 bytes of the KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT GUIDs; the first 4 are the format code. */
const GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const FORMAT_NAMES: Readonly<Record<number, string>> = { 2: "Microsoft ADPCM", 6: "A-law", 7: "µ-law", 0x11: "IMA ADPCM", 0x55: "MP3" };

/** Writes a WAV file. */
export function encodeWav(options: EncodeWavOptions): EncodedWav {
  const channels = checkChannels(options.channels);
  const { sampleRate } = options;
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > WAV_LIMITS.maxSampleRate) {
    throw new RangeError(msg.previewBadOption("encodeWav", "sampleRate", sampleRate, `an integer number of Hz from 1 to ${WAV_LIMITS.maxSampleRate}`));
  }
  const bitDepth = options.bitDepth ?? 16;
  if (bitDepth !== 16 && bitDepth !== 32) throw new RangeError(msg.previewBadOption("encodeWav", "bitDepth", bitDepth, "16 or 32"));

  const count = channels.length;
  const frames = channels[0]?.length ?? 0;
  const float = bitDepth === 32;
  const extensible = count > 2;
  const bytesPerSample = bitDepth / 8;
  const blockAlign = count * bytesPerSample;
  const dataSize = frames * blockAlign;
  const fmtSize = extensible ? 40 : float ? 18 : 16;
  const factSize = float ? 12 : 0;
  const total = 12 + 8 + fmtSize + factSize + 8 + dataSize;
  if (total - 8 > 0xffffffff) throw new RangeError(msg.wavTooLong(total));

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let o = 0;
  const tag = (id: string): void => {
    for (let i = 0; i < 4; i++) bytes[o + i] = id.charCodeAt(i);
    o += 4;
  };
  const u16 = (v: number): void => {
    view.setUint16(o, v, true);
    o += 2;
  };
  const u32 = (v: number): void => {
    view.setUint32(o, v, true);
    o += 4;
  };
  tag("RIFF");
  u32(total - 8);
  tag("WAVE");
  tag("fmt ");
  u32(fmtSize);
  u16(extensible ? FORMAT_EXTENSIBLE : float ? FORMAT_FLOAT : FORMAT_PCM);
  u16(count);
  u32(sampleRate);
  u32(sampleRate * blockAlign);
  u16(blockAlign);
  u16(bitDepth);
  if (fmtSize > 16) u16(fmtSize - 18); // cbSize: the bytes of extension that follow
  if (extensible) {
    u16(bitDepth); // valid bits per sample
    u32(0); // channel mask: no speaker positions claimed
    u32(float ? FORMAT_FLOAT : FORMAT_PCM);
    for (const b of GUID_TAIL) bytes[o++] = b;
  }
  if (float) {
    tag("fact");
    u32(4);
    u32(frames);
  }
  tag("data");
  u32(dataSize);

  let nonFinite = 0;
  let clipped = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < count; c++) {
      let v = channels[c]![f]!;
      if (!Number.isFinite(v)) {
        nonFinite++;
        v = 0;
      }
      if (float) {
        view.setFloat32(o, v, true);
      } else {
        if (v > 1) {
          v = 1;
          clipped++;
        } else if (v < -1) {
          v = -1;
          clipped++;
        }
        view.setInt16(o, Math.round(v * 32767), true);
      }
      o += bytesPerSample;
    }
  }
  return { bytes, frames, channels: count, sampleRate, bitDepth, nonFinite, clipped };
}

function checkChannels(channels: unknown): readonly Float32Array[] {
  if (channels instanceof Float32Array) return [channels];
  if (!Array.isArray(channels)) throw new TypeError(msg.wavBadChannels(`got ${describe(channels)}`));
  if (channels.length < 1 || channels.length > WAV_LIMITS.maxChannels) throw new RangeError(msg.wavBadChannels(`got ${channels.length} channels`));
  const list = channels as readonly unknown[];
  list.forEach((c, i) => {
    if (!(c instanceof Float32Array)) throw new TypeError(msg.wavBadChannels(`channels[${i}] is ${describe(c)}`));
  });
  const arrays = list as readonly Float32Array[];
  const frames = arrays[0]!.length;
  arrays.forEach((c, i) => {
    if (c.length !== frames) throw new RangeError(msg.wavBadChannels(`channels[${i}] has ${c.length} samples but channels[0] has ${frames}`));
  });
  return arrays;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return `a ${v.constructor?.name ?? "object"}`;
  return `a ${typeof v}`;
}

function fail(code: string, message: string): never {
  throw new NbresumeError(code, message, { where: "decodeWav" });
}

/** Four bytes as text for a message: printable ASCII as is, anything else as \xNN. */
function fourcc(bytes: Uint8Array, offset: number): string {
  let s = "";
  for (let i = offset; i < offset + 4 && i < bytes.length; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return s;
}

interface Chunk {
  readonly offset: number;
  /** Where the chunk's body starts and how long it is. */
  readonly start: number;
  readonly size: number;
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(msg.previewBadOption("decodeWav", name, value, "a positive integer"));
  return v;
}

/** Reads a WAV file, validating every size against the bytes that are actually there. */
export function decodeWav(bytes: Uint8Array, options: DecodeWavOptions = {}): DecodedWav {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(msg.wavNotBytes(bytes));
  const maxChannels = checkLimit("maxChannels", options.maxChannels, WAV_LIMITS.maxChannels);
  const maxSampleRate = checkLimit("maxSampleRate", options.maxSampleRate, WAV_LIMITS.maxSampleRate);
  const maxFrames = checkLimit("maxFrames", options.maxFrames, WAV_LIMITS.maxFrames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.length;
  const isTag = (offset: number, id: string): boolean => fourcc(bytes, offset) === id;

  // 1. The RIFF header, which must cover the file exactly.
  if (length >= 4 && !isTag(0, "RIFF")) fail(RenderErrorCode.WAV_NOT_WAVE, msg.wavNotWave(`"${fourcc(bytes, 0)}"`));
  if (length < 12) fail(RenderErrorCode.WAV_TRUNCATED, msg.wavTruncated("RIFF header", 0, 12, length));
  if (!isTag(8, "WAVE")) fail(RenderErrorCode.WAV_NOT_WAVE, msg.wavNotWave(`"RIFF" then "${fourcc(bytes, 8)}"`));
  const declared = 8 + view.getUint32(4, true);
  if (declared > length) fail(RenderErrorCode.WAV_TRUNCATED, msg.wavRiffSize(declared, length));
  if (declared < length) fail(RenderErrorCode.WAV_TRAILING_BYTES, msg.wavTrailing(declared, length));

  // 2. The chunks: each header and body inside the RIFF chunk; one fmt and one data.
  let fmt: Chunk | undefined;
  let data: Chunk | undefined;
  for (let offset = 12; offset < declared;) {
    if (declared - offset < 8) fail(RenderErrorCode.WAV_TRUNCATED, msg.wavTruncated("chunk header", offset, 8, declared - offset));
    const id = fourcc(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const available = declared - offset - 8;
    if (size > available) fail(RenderErrorCode.WAV_BAD_CHUNK, msg.wavChunkOverrun(id, offset, size, available));
    const chunk = { offset, start: offset + 8, size };
    if (id === "fmt ") {
      if (fmt !== undefined) fail(RenderErrorCode.WAV_DUPLICATE_CHUNK, msg.wavDuplicate(id, offset));
      fmt = chunk;
    } else if (id === "data") {
      if (data !== undefined) fail(RenderErrorCode.WAV_DUPLICATE_CHUNK, msg.wavDuplicate(id, offset));
      data = chunk;
    }
    // Odd-sized chunks are followed by a pad byte; many writers leave it off the last chunk.
    offset = Math.min(declared, offset + 8 + size + (size & 1));
  }
  if (fmt === undefined) return fail(RenderErrorCode.WAV_MISSING_CHUNK, msg.wavMissing("fmt "));
  if (data === undefined) return fail(RenderErrorCode.WAV_MISSING_CHUNK, msg.wavMissing("data"));

  // 3. The format: a known encoding whose sizes agree with each other.
  if (fmt.size < 16) fail(RenderErrorCode.WAV_BAD_FORMAT, msg.wavBadFormat("chunk size", fmt.size, "a fmt chunk has at least 16 bytes"));
  const f = fmt.start;
  let code = view.getUint16(f, true);
  const channelCount = view.getUint16(f + 2, true);
  const sampleRate = view.getUint32(f + 4, true);
  const byteRate = view.getUint32(f + 8, true);
  const blockAlign = view.getUint16(f + 12, true);
  const bits = view.getUint16(f + 14, true);
  if (code === FORMAT_EXTENSIBLE) {
    if (fmt.size < 40) fail(RenderErrorCode.WAV_BAD_FORMAT, msg.wavBadFormat("chunk size", fmt.size, "WAVE_FORMAT_EXTENSIBLE needs 40"));
    const cbSize = view.getUint16(f + 16, true);
    if (cbSize < 22) fail(RenderErrorCode.WAV_BAD_FORMAT, msg.wavBadFormat("extension size", cbSize, "WAVE_FORMAT_EXTENSIBLE needs 22"));
    const validBits = view.getUint16(f + 18, true);
    if (validBits > bits) fail(RenderErrorCode.WAV_BAD_FORMAT, msg.wavBadFormat("valid bits", validBits, `the container has ${bits} bits`));
    code = view.getUint32(f + 24, true);
    const known = (code === FORMAT_PCM || code === FORMAT_FLOAT) && GUID_TAIL.every((b, i) => bytes[f + 28 + i] === b);
    if (!known) fail(RenderErrorCode.WAV_UNSUPPORTED, msg.wavUnsupported("an extensible format whose subformat is not PCM or IEEE float"));
  }
  if (code !== FORMAT_PCM && code !== FORMAT_FLOAT) {
    const name = FORMAT_NAMES[code];
    fail(RenderErrorCode.WAV_UNSUPPORTED, msg.wavUnsupported(`format code ${code}${name === undefined ? "" : ` (${name})`}`));
  }
  const encoding = code === FORMAT_FLOAT ? "float" : "pcm";
  if (channelCount === 0) fail(RenderErrorCode.WAV_BAD_FORMAT, msg.wavBadFormat("channels", 0, "a file needs at least one"));
  if (channelCount > maxChannels) fail(RenderErrorCode.WAV_TOO_LARGE, msg.wavTooLarge("the channel count", channelCount, maxChannels));
  if (sampleRate === 0) fail(RenderErrorCode.WAV_BAD_FORMAT, msg.wavBadFormat("sample rate", 0, "it must be positive"));
  if (sampleRate > maxSampleRate) fail(RenderErrorCode.WAV_TOO_LARGE, msg.wavTooLarge("the sample rate", sampleRate, maxSampleRate));
  const supported = encoding === "pcm" ? [8, 16, 24, 32] : [32, 64];
  if (!supported.includes(bits)) fail(RenderErrorCode.WAV_UNSUPPORTED, msg.wavUnsupported(`${bits}-bit ${encoding === "pcm" ? "PCM" : "float"}`));
  const bytesPerSample = bits / 8;
  if (blockAlign !== channelCount * bytesPerSample) {
    fail(
      RenderErrorCode.WAV_BAD_FORMAT,
      msg.wavBadFormat("block align", blockAlign, `${channelCount} channels of ${bits} bits need ${channelCount * bytesPerSample}`),
    );
  }
  if (byteRate !== sampleRate * blockAlign) {
    fail(RenderErrorCode.WAV_BAD_FORMAT, msg.wavBadFormat("byte rate", byteRate, `${sampleRate} Hz × ${blockAlign} bytes is ${sampleRate * blockAlign}`));
  }

  // 4. The samples: whole frames only, within the cap, de-interleaved to one array per channel.
  if (data.size % blockAlign !== 0) fail(RenderErrorCode.WAV_BAD_CHUNK, msg.wavPartialFrame(data.size, blockAlign));
  const frames = data.size / blockAlign;
  if (frames > maxFrames) fail(RenderErrorCode.WAV_TOO_LARGE, msg.wavTooLarge("the frame count", frames, maxFrames));
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  const read = sampleReader(view, encoding, bits);
  let o = data.start;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channelCount; c++) {
      channels[c]![i] = read(o);
      o += bytesPerSample;
    }
  }
  return { sampleRate, channels, frames, encoding, bitDepth: bits };
}

/** PCM maps full scale to ±1 symmetrically (the writer's ×32767); the most negative code clamps to −1. */
function sampleReader(view: DataView, encoding: "pcm" | "float", bits: number): (offset: number) => number {
  if (encoding === "float") return bits === 32 ? (o) => view.getFloat32(o, true) : (o) => view.getFloat64(o, true);
  switch (bits) {
    case 8:
      return (o) => Math.max(-1, (view.getUint8(o) - 128) / 127);
    case 16:
      return (o) => Math.max(-1, view.getInt16(o, true) / 32767);
    case 24:
      return (o) => {
        const v = view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16);
        return Math.max(-1, v / 8388607);
      };
    default:
      return (o) => Math.max(-1, view.getInt32(o, true) / 2147483647);
  }
}
