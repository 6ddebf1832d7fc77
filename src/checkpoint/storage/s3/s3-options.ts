/**
 * How to reach an S3-compatible service, configured the way AWS tools are. Every field is
 * optional: what is not given comes from the environment and the AWS config files, as the AWS CLI
 * reads them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE,
 * ~/.aws/credentials and ~/.aws/config, AWS_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for
 * MinIO, R2 and others). Plain data: it crosses to the writer thread.
 */
export interface S3Options {
  /** The service's URL, e.g. "http://127.0.0.1:9000" (MinIO) or an R2 account endpoint. Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS. */
  endpoint?: string;
  /** Default: AWS_REGION / AWS_DEFAULT_REGION / the profile's, else "us-east-1". */
  region?: string;
  /**
   * Path-style URLs (endpoint/bucket/key) instead of virtual-hosted (bucket.endpoint/key).
   * Default: NBRESUME_S3_FORCE_PATH_STYLE=1 (or 0), else path style for an endpoint that is an IP
   * address or localhost, virtual-hosted otherwise.
   */
  forcePathStyle?: boolean;
  /** The AWS profile to use (default AWS_PROFILE, else "default"). */
  profile?: string;
  /** Explicit credentials (default: the AWS credential chain). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Tries of each request before giving up (throttling, 5xx, dropped connections). Default 6. */
  maxAttempts?: number;
  /** First retry after about this many ms, doubling each time (with jitter), at most 20 s. Default 200. */
  retryBaseMs?: number;
  /**
   * A writer rides out an outage this long: a request the service never answered (connection
   * refused or reset, a timeout) is tried past maxAttempts until this many ms after its first
   * failure, and a closing mirror waits at most this long for uploads that make no progress.
   * Read-only stores do not wait (0). Default 60,000.
   */
  outageMs?: number;
  /** A request with no response byte for this long is retried. Default 60,000. */
  requestTimeoutMs?: number;
  /** The writer lease's lifetime; renewed every third of it while the store is open. Default 60. */
  leaseSeconds?: number;
  /** Bytes per multipart part (≥ 5 MiB). Default 16 MiB. */
  partBytes?: number;
  /** Parts uploaded at once per file (memory: this many parts + one). Default 4. */
  partConcurrency?: number;
}
