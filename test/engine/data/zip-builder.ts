/**
 * Hand-built zip archives for the .npz tests: valid ones (stored or deflated, optionally with
 * zip64 records) and, through the knobs, every kind of damage the reader must refuse.
 */
import { crc32, deflateRawSync } from "node:zlib";

export interface ZipEntryInput {
  readonly name: string;
  readonly data: Uint8Array;
  readonly method?: 0 | 8;
  /** Overrides (to build damaged archives). */
  readonly crc?: number;
  readonly flags?: number;
  readonly declaredSize?: number;
  readonly localName?: string;
  /** Compressed bytes to store instead of deflating `data`. */
  readonly stored?: Uint8Array;
}

export interface ZipOptions {
  /** Write zip64 end records and zip64 sizes in the central directory. */
  readonly zip64?: boolean;
  /** Bytes inserted between the entries and the central directory. */
  readonly gap?: number;
  readonly comment?: string;
  /** Overrides of the end record's fields. */
  readonly eocd?: { disk?: number; entries?: number; dirOffset?: number };
}

function u16(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff];
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function u64(n: number): number[] {
  return [...u32(n % 2 ** 32), ...u32(Math.floor(n / 2 ** 32))];
}

export function zipBytes(entries: readonly ZipEntryInput[], options: ZipOptions = {}): Uint8Array {
  const out: number[] = [];
  const central: number[] = [];
  const enc = new TextEncoder();
  for (const e of entries) {
    const method = e.method ?? 0;
    const body = e.stored ?? (method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data);
    const crc = e.crc ?? crc32(e.data) >>> 0;
    const size = e.declaredSize ?? e.data.length;
    const name = enc.encode(e.name);
    const localName = enc.encode(e.localName ?? e.name);
    const offset = out.length;
    const flags = e.flags ?? 0x800;
    out.push(
      ...u32(0x04034b50),
      ...u16(20),
      ...u16(flags),
      ...u16(method),
      ...u16(0),
      ...u16(0x21),
      ...u32(crc),
      ...u32(body.length),
      ...u32(size),
      ...u16(localName.length),
      ...u16(0),
      ...localName,
      ...body,
    );
    const z = options.zip64 === true;
    const extra = z ? [...u16(1), ...u16(24), ...u64(size), ...u64(body.length), ...u64(offset)] : [];
    central.push(
      ...u32(0x02014b50),
      ...u16(45),
      ...u16(20),
      ...u16(flags),
      ...u16(method),
      ...u16(0),
      ...u16(0x21),
      ...u32(crc),
      ...u32(z ? 0xffffffff : body.length),
      ...u32(z ? 0xffffffff : size),
      ...u16(name.length),
      ...u16(extra.length),
      ...u16(0),
      ...u16(0),
      ...u16(0),
      ...u32(0),
      ...u32(z ? 0xffffffff : offset),
      ...name,
      ...extra,
    );
  }
  for (let i = 0; i < (options.gap ?? 0); i++) out.push(0);
  const dirOffset = out.length;
  out.push(...central);
  const comment = enc.encode(options.comment ?? "");
  const count = options.eocd?.entries ?? entries.length;
  if (options.zip64 === true) {
    const at = out.length;
    out.push(
      ...u32(0x06064b50),
      ...u64(44),
      ...u16(45),
      ...u16(45),
      ...u32(0),
      ...u32(0),
      ...u64(count),
      ...u64(count),
      ...u64(central.length),
      ...u64(options.eocd?.dirOffset ?? dirOffset),
    );
    out.push(...u32(0x07064b50), ...u32(0), ...u64(at), ...u32(1));
    out.push(
      ...u32(0x06054b50),
      ...u16(0),
      ...u16(0),
      ...u16(0xffff),
      ...u16(0xffff),
      ...u32(0xffffffff),
      ...u32(0xffffffff),
      ...u16(comment.length),
      ...comment,
    );
  } else {
    const disk = options.eocd?.disk ?? 0;
    out.push(
      ...u32(0x06054b50),
      ...u16(disk),
      ...u16(disk),
      ...u16(count),
      ...u16(count),
      ...u32(central.length),
      ...u32(options.eocd?.dirOffset ?? dirOffset),
      ...u16(comment.length),
      ...comment,
    );
  }
  return Uint8Array.from(out);
}
