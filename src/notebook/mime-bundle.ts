/** MIME bundles: what a Display sends (docs/CONTRIBUTING.md, "Notebook output is a MIME bundle"). */
import { notebookMessages as msg } from "./messages.js";

/**
 * One output's content, keyed by MIME type: binary formats (image/png, image/jpeg, image/gif,
 * application/pdf) as bytes, everything else (text/plain, text/html, text/markdown,
 * image/svg+xml, …) as a string. Frontends show the richest type they can; give text/plain too.
 */
export type MimeBundle = Readonly<Record<string, string | Uint8Array>>;

/** Per-MIME display hints, e.g. { "image/png": { width: 280 } } to scale a small image up. */
export type DisplayMetadata = Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;

export const BINARY_MIME_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "application/pdf"]);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Uint8Array) return `a Uint8Array (${v.byteLength} bytes)`;
  if (typeof v === "object") return `a ${v.constructor?.name ?? "object"}`;
  return `a ${typeof v}`;
}

/** Throws TypeError unless `bundle` is a non-empty MIME bundle with the right value type per entry. */
export function checkBundle(bundle: unknown): asserts bundle is MimeBundle {
  if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle)) {
    throw new TypeError(msg.badBundle(`must be an object, got ${describe(bundle)}`));
  }
  const entries = Object.entries(bundle);
  if (entries.length === 0) throw new TypeError(msg.badBundle("is empty"));
  for (const [mime, value] of entries) {
    if (!/^[a-z]+\/[-+.\w]+$/i.test(mime)) throw new TypeError(msg.badBundle(`has a key that is not a MIME type: ${JSON.stringify(mime)}`));
    if (BINARY_MIME_TYPES.has(mime)) {
      if (!(value instanceof Uint8Array)) throw new TypeError(msg.binaryMimeNeedsBytes(mime, describe(value)));
    } else if (typeof value !== "string") {
      throw new TypeError(msg.textMimeNeedsString(mime, describe(value)));
    }
  }
}
