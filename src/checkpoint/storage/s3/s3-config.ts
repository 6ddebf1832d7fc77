/**
 * S3Options completed from the environment, as AWS tools read it (see s3-options.ts): what the
 * client is built with and how hard the storage tries. Checked at the API boundary: a bad value
 * is a TypeError/RangeError naming the option.
 */
import type { S3Options } from "./s3-options.js";

export interface S3ClientSettings {
  endpoint: string | undefined;
  region: string | undefined;
  forcePathStyle: boolean;
  profile: string | undefined;
  credentials: S3Options["credentials"] | undefined;
  requestTimeoutMs: number;
}

export interface S3Settings extends S3ClientSettings {
  maxAttempts: number;
  retryBaseMs: number;
  /** Riding out an outage (s3-retry.ts): what the options ask for; a storage applies it once opened for writing. */
  outageMs: number;
  leaseSeconds: number;
  partBytes: number;
  partConcurrency: number;
}

/** See s3-retry.ts: a minute covers a service restarting or a network blip, not a bucket that is gone. */
export const DEFAULT_OUTAGE_MS = 60_000;
const MIN_PART = 5 * 1024 * 1024;
const MAX_PART = 512 * 1024 * 1024;

function count(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`s3.${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function isLocalHost(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, "");
    return host === "localhost" || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
  } catch {
    return false;
  }
}

export function resolveS3Settings(options: S3Options, env: NodeJS.ProcessEnv = process.env): S3Settings {
  if (typeof options !== "object" || options === null)
    throw new TypeError(`s3 options must be an object like { endpoint?, region?, forcePathStyle? }, got ${JSON.stringify(options)}.`);
  for (const key of ["endpoint", "region", "profile"] as const) {
    if (options[key] !== undefined && (typeof options[key] !== "string" || options[key] === ""))
      throw new TypeError(`s3.${key} must be a non-empty string, got ${JSON.stringify(options[key])}.`);
  }
  if (options.forcePathStyle !== undefined && typeof options.forcePathStyle !== "boolean")
    throw new TypeError(`s3.forcePathStyle must be true or false, got ${JSON.stringify(options.forcePathStyle)}.`);
  const c = options.credentials;
  if (c !== undefined && (typeof c !== "object" || c === null || typeof c.accessKeyId !== "string" || typeof c.secretAccessKey !== "string")) {
    throw new TypeError("s3.credentials must be { accessKeyId, secretAccessKey, sessionToken? } (or leave it out to use the AWS credential chain).");
  }
  const endpoint = options.endpoint ?? (env["AWS_ENDPOINT_URL_S3"] || undefined) ?? (env["AWS_ENDPOINT_URL"] || undefined);
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
    throw new TypeError(`the S3 endpoint must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}.`);
  const flag = env["NBRESUME_S3_FORCE_PATH_STYLE"];
  const forcePathStyle =
    options.forcePathStyle ??
    (flag === "1" || flag === "true" ? true : flag === "0" || flag === "false" ? false : endpoint !== undefined && isLocalHost(endpoint));
  return {
    endpoint,
    region: options.region ?? (env["AWS_REGION"] || undefined) ?? (env["AWS_DEFAULT_REGION"] || undefined),
    forcePathStyle,
    profile: options.profile,
    credentials:
      c === undefined
        ? undefined
        : { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }) },
    requestTimeoutMs: count("requestTimeoutMs", options.requestTimeoutMs, 60_000, 100),
    maxAttempts: count("maxAttempts", options.maxAttempts, 6, 1, 100),
    retryBaseMs: count("retryBaseMs", options.retryBaseMs, 200, 0, 60_000),
    outageMs: count("outageMs", options.outageMs, DEFAULT_OUTAGE_MS, 0, 3_600_000),
    leaseSeconds: count("leaseSeconds", options.leaseSeconds, 60, 1, 86_400),
    partBytes: count("partBytes", options.partBytes, 16 * 1024 * 1024, MIN_PART, MAX_PART),
    partConcurrency: count("partConcurrency", options.partConcurrency, 4, 1, 64),
  };
}
