/**
 * A real S3 API server for the tests, on 127.0.0.1: s3rver (npm), a Koa server that stores objects
 * on disk and speaks the S3 REST protocol the AWS SDK uses (signatures checked, multipart uploads,
 * ranged GETs, ListObjectsV2, DeleteObjects, CopyObject). Chosen because it installs from npm with
 * no native code or download and starts in ~100 ms; what it does not implement (conditional writes,
 * ListMultipartUploads, AbortMultipartUpload) is exactly what the store must cope without, and
 * the tests say so where it matters. It runs in a process of its own (s3rver-main.mjs), as a
 * service would: the client's event loop and the server's do not take turns.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import type { S3Options } from "../../src/checkpoint/storage/s3/s3-options.js";

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "s3rver-main.mjs");

export const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface TestS3 {
  endpoint: string;
  port: number;
  /** Where s3rver keeps the objects (tests corrupt them there). */
  directory: string;
  /** S3Options for the store, pointed at `endpoint` (or another one, e.g. the fault proxy). */
  options(overrides?: Partial<S3Options>, endpoint?: string): S3Options;
  /** A plain SDK client, for checks and for putting hostile objects in place. */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** Stop the server (an outage: connections are refused), keeping its objects. */
  stop(): Promise<void>;
  /** Start it again on the same port with the same objects (the service is back). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** s3rver in a process of its own on `port` (0: any free port); resolves once it listens. */
async function spawnServer(directory: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--openssl-legacy-provider", MAIN, directory, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  const listening = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (text: string) => {
      out += text;
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.once("exit", (code) => reject(new Error(`the test S3 server exited (${code}) before it listened`)));
  });
  return { child, port: listening };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

export async function startS3(): Promise<TestS3> {
  // The SDK's notice that releases after January 2027 need Node 22 (we support Node 20).
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
  // Never ask an instance-metadata address for credentials: the tests talk to 127.0.0.1 only.
  process.env["AWS_EC2_METADATA_DISABLED"] = "true";
  const directory = await makeTempDir("s3rver");
  let { child, port } = await spawnServer(directory, 0);
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const s3: TestS3 = {
    endpoint,
    port,
    directory,
    options: (overrides = {}, at = endpoint) => ({
      endpoint: at,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: CREDENTIALS,
      retryBaseMs: 5,
      ...overrides,
    }),
    client: () => {
      const c = new S3Client({
        endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: CREDENTIALS,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
      clients.push(c);
      return c;
    },
    createBucket: async (name) => {
      await s3.client().send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: () => stopServer(child),
    restart: async () => {
      await stopServer(child);
      ({ child, port } = await spawnServer(directory, port));
    },
    close: async () => {
      for (const c of clients) c.destroy();
      await stopServer(child);
      await removeDir(directory);
    },
  };
  return s3;
}

/** Environment that points AWS tools (and the store's worker threads) at the test server. */
export function awsEnv(s3: { endpoint: string }): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/**
 * Points this process's AWS environment at the test server (as a user's shell would) and returns
 * what puts the previous values back.
 */
export function useAwsEnv(s3: { endpoint: string }): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(awsEnv(s3))) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
