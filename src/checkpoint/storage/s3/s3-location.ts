/**
 * `s3://bucket/prefix` parsed and checked: a bucket name S3 accepts, a prefix of plain segments
 * (no empty, "." or ".." segment, no control characters or backslashes), so every key the store
 * builds stays under the prefix and means one object on every S3-compatible service.
 */
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const MAX_PREFIX = 512;
// eslint-disable-next-line no-control-regex -- control characters are among the characters it rejects in a key
const BAD_CHARS = /[\u0000-\u001f\u007f\\]/;

export interface S3Location {
  bucket: string;
  /** "runs/mnist" (no leading or trailing slash; "" for the bucket's root). */
  prefix: string;
  /** "s3://bucket/runs/mnist". */
  url: string;
}

function bad(url: string, why: string): TypeError {
  return new TypeError(`${url} is not a usable S3 location: ${why}. Write s3://bucket/prefix (the prefix may be empty, with plain segments separated by "/").`);
}

export function parseS3Url(url: string): S3Location {
  if (typeof url !== "string" || !url.startsWith("s3://")) throw bad(String(url), 'it does not start with "s3://"');
  const rest = url.slice("s3://".length).replace(/\/+$/, "");
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? "" : rest.slice(slash + 1);
  if (!BUCKET.test(bucket) || bucket.includes(".."))
    throw bad(url, `the bucket name ${JSON.stringify(bucket)} is not valid (3–63 lowercase letters, digits, ".", "-", "_")`);
  if (prefix.length > MAX_PREFIX) throw bad(url, `the prefix is longer than ${MAX_PREFIX} characters`);
  if (BAD_CHARS.test(prefix)) throw bad(url, "the prefix holds a control character or a backslash");
  if (prefix !== "" && prefix.split("/").some((s) => s === "" || s === "." || s === "..")) throw bad(url, 'the prefix has an empty, "." or ".." segment');
  return { bucket, prefix, url: prefix === "" ? `s3://${bucket}` : `s3://${bucket}/${prefix}` };
}

/** The key of `name` (a relative key of plain segments) under the location's prefix. */
export function keyOf(location: S3Location, name: string): string {
  return location.prefix === "" ? name : `${location.prefix}/${name}`;
}

/** The key prefix under which everything of the location lives ("runs/mnist/"; "" at the root). */
export function rootKey(location: S3Location): string {
  return location.prefix === "" ? "" : `${location.prefix}/`;
}

/**
 * A key from a listing, relative to the location's prefix; undefined when it is not under it or
 * not made of plain segments (a hostile or broken listing: never used to build a key or a path).
 */
export function relativeKey(location: S3Location, key: unknown): string | undefined {
  if (typeof key !== "string") return undefined;
  const root = rootKey(location);
  if (!key.startsWith(root)) return undefined;
  const rel = key.slice(root.length);
  if (rel === "" || BAD_CHARS.test(rel) || rel.split("/").some((s) => s === "" || s === "." || s === "..")) return undefined;
  return rel;
}
