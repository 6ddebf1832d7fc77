/**
 * safetensors data is little-endian and we write/read typed arrays' bytes as they lie in
 * memory (no per-element conversion), so the machine must be little-endian. Checked once.
 */
import { safetensorsMessages } from "./messages.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error(safetensorsMessages.bigEndian());
}
