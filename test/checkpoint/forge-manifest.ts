/** A checkpoint's manifest.json rewritten by hand, so that files changed on purpose still match it. */
import { readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { hashBytes } from "../../src/checkpoint/hash.js";
import { type Manifest, parseManifest, serializeManifest } from "../../src/checkpoint/manifest.js";

/**
 * Rewrite a checkpoint's manifest.json after its files were changed by hand, so that it matches
 * them again (sizes and hashes, checksum, canonical form): `change` may edit metrics or entries.
 */
export async function forgeManifest(checkpoint: string, change: (m: Manifest) => void = () => undefined): Promise<void> {
  const file = path.join(checkpoint, "manifest.json");
  const manifest = parseManifest(await readFile(file));
  for (const name of Object.keys(manifest.files)) {
    const bytes = await readFile(path.join(checkpoint, name)).catch(() => undefined);
    if (bytes !== undefined) manifest.files[name] = { bytes: bytes.byteLength, hash: hashBytes(bytes) };
  }
  change(manifest);
  await writeFile(file, serializeManifest(manifest));
}
