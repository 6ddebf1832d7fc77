/**
 * Which storage a location opens: a directory path is the local filesystem; a URL's scheme picks
 * a registered storage ("s3" is built in). Register another with registerStorageScheme(); an
 * unknown scheme fails naming the known ones. The S3 SDK loads only when an s3:// location is opened.
 */
import type { DurableFs } from "../durable-fs.js";
import { LOCAL_SCHEME, LocalStorage } from "./local/local-storage.js";
import { locationScheme } from "./location.js";
import type { S3Options } from "./s3/s3-options.js";
import { S3Storage } from "./s3/s3-storage.js";
import type { CheckpointStorage, StorageSpec } from "./storage.js";

/** How to open storage: the local filesystem's operations, object storage's settings. */
export interface StorageOptions {
  /** File-system operations of a local directory (tests inject faults through it). */
  fs?: DurableFs;
  /** Settings of s3:// locations (besides what the environment and AWS profiles say). */
  s3?: S3Options;
}

export interface StorageScheme {
  /** Open `location` (a URL of this scheme). Bad URLs throw TypeError naming what is wrong. */
  open(location: string, options: StorageOptions): Promise<CheckpointStorage>;
  /** The same storage again from its spec (in a writer thread). */
  fromSpec(spec: StorageSpec, options: StorageOptions): Promise<CheckpointStorage>;
}

const schemes = new Map<string, StorageScheme>();

export function registerStorageScheme(scheme: string, implementation: StorageScheme): void {
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme) || scheme === LOCAL_SCHEME)
    throw new TypeError(`registerStorageScheme: ${JSON.stringify(scheme)} is not a URL scheme that can be registered.`);
  if (schemes.has(scheme)) throw new Error(`registerStorageScheme: "${scheme}" is registered already.`);
  schemes.set(scheme, implementation);
}

export function registeredStorageSchemes(): string[] {
  return [...schemes.keys()];
}

function schemeFor(scheme: string, location: string): StorageScheme {
  const found = schemes.get(scheme);
  if (!found) {
    throw new TypeError(
      `${location}: no storage is registered for "${scheme}://" (known: ${[...schemes.keys()].map((s) => `${s}://`).join(", ")}, or a directory path).`,
    );
  }
  return found;
}

/** The storage of `location`: a directory path, or a URL of a registered scheme. */
export async function openStorage(location: string, options: StorageOptions = {}): Promise<CheckpointStorage> {
  const scheme = locationScheme(location);
  if (scheme === undefined) return new LocalStorage(location, options.fs);
  return schemeFor(scheme, location).open(location, options);
}

/** The storage a spec describes (made by CheckpointStorage.spec, possibly in another thread). */
export async function storageFromSpec(spec: StorageSpec, options: StorageOptions = {}): Promise<CheckpointStorage> {
  if (spec.scheme === LOCAL_SCHEME) return new LocalStorage(spec.location, options.fs);
  return schemeFor(spec.scheme, spec.location).fromSpec(spec, options);
}

registerStorageScheme("s3", {
  open: (location, options) => S3Storage.open(location, options.s3 ?? {}),
  fromSpec: (spec) => S3Storage.fromSpec(spec),
});
