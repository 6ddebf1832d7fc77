/**
 * Hand-built .npy files for the tests: numpy's layout (preamble, space-padded header ending in a
 * line break, 64-byte aligned data), with knobs for the damage the reader must refuse.
 */
/** A .npy file: preamble for `version`, the header text padded as numpy pads it, then `data`. */
export function npyBytes(
  header: string,
  data: Uint8Array = new Uint8Array(0),
  options: { version?: 1 | 2 | 3; headerLength?: number; magic?: number[] } = {},
): Uint8Array {
  const version = options.version ?? 1;
  const preamble = version === 1 ? 10 : 12;
  const text = new TextEncoder().encode(header);
  let length = text.length + 1;
  while ((preamble + length) % 64 !== 0) length++;
  const out = new Uint8Array(preamble + length + data.length);
  out.set(options.magic ?? [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  const declared = options.headerLength ?? length;
  if (version === 1) view.setUint16(8, declared, true);
  else view.setUint32(8, declared, true);
  out.fill(0x20, preamble, preamble + length - 1);
  out.set(text, preamble);
  out[preamble + length - 1] = 0x0a;
  out.set(data, preamble + length);
  return out;
}
