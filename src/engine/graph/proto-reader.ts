/**
 * Protocol Buffers wire format, the reading half, at the level of fields: a message's bytes split
 * into (field number, wire type, byte range) without decoding into objects. That is all a stored
 * graph needs (onnx-model.ts splices trained weights into a graph and reads its inputs and
 * outputs), and it keeps each field's original bytes, so what is copied is copied exactly.
 *
 * Model files come from disk and are untrusted: every length is checked against the bytes that
 * remain, varints are at most ten bytes, and wire types 3/4 (groups, not used by ONNX) and 6/7 are
 * refused. A failure throws ProtoFormatError naming the byte offset.
 */
import { graphMessages as msg } from "./messages.js";

export const WIRE = { varint: 0, fixed64: 1, length: 2, fixed32: 5 } as const;

export class ProtoFormatError extends Error {
  override readonly name = "ProtoFormatError";
  constructor(
    readonly offset: number,
    problem: string,
  ) {
    super(msg.protobufAt(problem, offset));
  }
}

export interface ProtoField {
  readonly field: number;
  readonly wire: number;
  /** Where the field starts (its tag) and ends: bytes.subarray(start, end) is the field, whole. */
  readonly start: number;
  readonly end: number;
  /** For length-delimited fields: where the payload starts (it ends at `end`). */
  readonly payload: number;
  /** For varint fields: the value (exact below 2⁵³; larger ones are read as the nearest number). */
  readonly value: number;
}

/** Reads a varint at `pos`; returns the value and the position after it. */
export function readVarint(bytes: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new ProtoFormatError(pos, msg.varintPastEnd());
    const b = bytes[pos++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
  throw new ProtoFormatError(pos, msg.varintTooLong());
}

/** The fields of the message in bytes[start, end), in order. */
export function readFields(bytes: Uint8Array, start = 0, end = bytes.byteLength): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = start;
  while (pos < end) {
    const at = pos;
    const [tag, afterTag] = readVarint(bytes, pos, end);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field < 1 || field > 0x1fffffff) throw new ProtoFormatError(at, msg.fieldNumberRange(field));
    pos = afterTag;
    let payload = pos;
    let value = 0;
    switch (wire) {
      case WIRE.varint:
        [value, pos] = readVarint(bytes, pos, end);
        break;
      case WIRE.fixed64:
        pos += 8;
        break;
      case WIRE.fixed32:
        pos += 4;
        break;
      case WIRE.length: {
        const [length, afterLength] = readVarint(bytes, pos, end);
        payload = afterLength;
        if (length > end - afterLength) throw new ProtoFormatError(at, msg.fieldLength(field, length, end - afterLength));
        pos = afterLength + length;
        break;
      }
      default:
        throw new ProtoFormatError(at, msg.wireType(field, wire));
    }
    if (pos > end) throw new ProtoFormatError(at, msg.fieldPastEnd(field));
    fields.push({ field, wire, start: at, end: pos, payload, value });
  }
  return fields;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A length-delimited field's payload as UTF-8 text. */
export function fieldString(bytes: Uint8Array, f: ProtoField): string {
  if (f.wire !== WIRE.length) throw new ProtoFormatError(f.start, msg.fieldNotString(f.field));
  try {
    return utf8.decode(bytes.subarray(f.payload, f.end));
  } catch {
    throw new ProtoFormatError(f.payload, msg.fieldNotUtf8(f.field));
  }
}

/** The fields of a length-delimited field's payload (a nested message). */
export function nestedFields(bytes: Uint8Array, f: ProtoField): ProtoField[] {
  if (f.wire !== WIRE.length) throw new ProtoFormatError(f.start, msg.fieldNotMessage(f.field));
  return readFields(bytes, f.payload, f.end);
}
