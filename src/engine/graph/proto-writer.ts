/**
 * Protocol Buffers wire format, the writing half only: what serialize.ts needs to write an ONNX
 * ModelProto. A graph is serialised every time a session is compiled (a restart's resume waits on
 * it), and writing bytes straight into one growing buffer takes a fraction of the time of building
 * message objects and encoding them by reflection.
 *
 * Nested messages are written in place: `begin()` marks where the body starts, `end()` measures it
 * and inserts the field's tag and length in front, moving the body along (a few bytes per level).
 */
import { graphMessages as msg } from "./messages.js";

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LENGTH = 2;

const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** A field holding an unsigned integer, or a negative one as 64-bit two's complement (int32/int64/enum). */
  int(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  string(field: number, value: string): void {
    // Most names are ASCII: written directly, no intermediate array.
    let ascii = true;
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      this.bytes(field, utf8.encode(value));
      return;
    }
    this.tag(field, WIRE_LENGTH);
    this.varint(value.length);
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this.buf[this.pos + i] = value.charCodeAt(i);
    this.pos += value.length;
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LENGTH);
    this.varint(value.byteLength);
    this.reserve(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** Bytes already in wire format (whole fields copied from another message), appended as they are. */
  raw(value: Uint8Array): void {
    this.reserve(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** Start a nested message; pass the result to end() with its field number. */
  begin(): number {
    return this.pos;
  }

  end(field: number, start: number): void {
    const length = this.pos - start;
    const header = varintSize(field << 3) + varintSize(length);
    this.reserve(header);
    this.buf.copyWithin(start + header, start, this.pos);
    const bodyEnd = this.pos + header;
    this.pos = start;
    this.tag(field, WIRE_LENGTH);
    this.varint(length);
    this.pos = bodyEnd;
  }

  /** The bytes written so far (a copy, so the writer's oversized buffer is not kept alive). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private varint(value: number): void {
    // A guard, not validation (callers check their values): a non-integer would loop or corrupt.
    if (!Number.isSafeInteger(value)) throw new RangeError(msg.notProtobufInteger(value));
    this.reserve(10);
    if (value < 0) {
      // int32/int64 negatives take ten bytes: the 64-bit two's complement, seven bits at a time.
      let big = BigInt.asUintN(64, BigInt(value));
      while (big > 0x7fn) {
        this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.pos++] = Number(big);
      return;
    }
    // Division, not shifts: values above 2³¹ must not wrap.
    while (value > 0x7f) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
