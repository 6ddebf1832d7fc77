/**
 * The checkpoint store on S3-compatible object storage: save and load + verify of a 256 MiB
 * checkpoint to and from a local S3 server (s3rver on 127.0.0.1, in a process of its own), as
 * ratios to what the AWS SDK does with the same bytes in the same run. Run:
 * node --import tsx bench/s3.bench.ts [--json] [--reps N] [--mib N] (bench/suite.ts calls s3Bench()).
 *   raw upload     the same tensor bytes as two objects, one after the other, each a plain SDK
 *                  multipart upload (the store's part size and parts in flight), no hashing
 *   save           store.save() to s3://…: safetensors streamed into multipart parts, hashed on
 *                  the way, state.json, the manifest last, `latest`, the retention plan
 *   raw download   the two objects with plain GetObject, one after the other, into fresh buffers
 *   load           store.load(): the safetensors reader into fresh typed arrays from the streamed
 *                  objects, every byte hashed and compared with the manifest
 * Target: each ≥ 0.9 × its raw reference. Raw and store runs alternate (and which goes first
 * alternates too); each is reported as the best and the median of its repetitions.
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, UploadPartCommand, type S3Client } from "@aws-sdk/client-s3";
import { CheckpointStore } from "../src/checkpoint/index.js";
import type { TensorGroup } from "../src/tensor.js";
import { startS3 } from "../test/storage/s3-server.js";
import { type BenchRow, cliOption, isMain, median as medianOf, printRows } from "./bench-row.js";

const MiB = 1024 * 1024;
const PART = 16 * MiB;
const IN_FLIGHT = 4;

function makeGroups(mib: number): { groups: Record<string, TensorGroup>; bytes: number } {
  const fill = (n: number, seed: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 1024) a[i] = seed + i;
    return a;
  };
  const half = (mib * MiB) / 2 / 4;
  const model: TensorGroup = {};
  for (let i = 0; i < 16; i++) model[`block${i}.weight`] = { dtype: "float32", shape: [half / 16], data: fill(half / 16, i) };
  const optimizer: TensorGroup = {
    exp_avg: { dtype: "float32", shape: [half / 2], data: fill(half / 2, 1) },
    exp_avg_sq: { dtype: "float32", shape: [half / 2], data: fill(half / 2, 2) },
  };
  return { groups: { model, optimizer }, bytes: mib * MiB };
}

function bytesOf(group: TensorGroup): Uint8Array {
  const parts = Object.values(group).map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A plain multipart upload: parts of PART bytes, IN_FLIGHT at a time. */
async function rawUpload(client: S3Client, bucket: string, key: string, bytes: Uint8Array): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { PartNumber: number; ETag: string }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next * PART < bytes.byteLength) {
      const n = next++;
      const body = bytes.subarray(n * PART, Math.min((n + 1) * PART, bytes.byteLength));
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n + 1, Body: body, ContentLength: body.byteLength }),
      );
      parts.push({ PartNumber: n + 1, ETag: ETag! });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

async function rawDownload(client: S3Client, bucket: string, key: string, into: Uint8Array): Promise<void> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  let at = 0;
  for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
    into.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== into.byteLength) throw new Error(`downloaded ${at} of ${into.byteLength} bytes`);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export interface S3BenchOptions {
  reps?: number;
  mib?: number;
}

export async function s3Bench(options: S3BenchOptions = {}): Promise<BenchRow[]> {
  const reps = options.reps ?? 3;
  const mib = options.mib ?? 256;
  const { groups, bytes } = makeGroups(mib);
  const raw = Object.entries(groups).map(([name, g]) => ({ name, bytes: bytesOf(g) }));
  const s3 = await startS3();
  const times = { rawUpload: [] as number[], save: [] as number[], rawDownload: [] as number[], load: [] as number[] };
  try {
    await s3.createBucket("bench");
    const client = s3.client();
    const s3Options = s3.options({ partBytes: PART, partConcurrency: IN_FLIGHT });
    for (let rep = 0; rep < reps; rep++) {
      const url = `s3://bench/run-${rep}`;
      const store = await CheckpointStore.open(url, { s3: s3Options, backgroundWriter: "inline" });
      try {
        const rawFirst = rep % 2 === 0;
        // One object after the other, as the store writes a checkpoint's files.
        const doRawUp = async () =>
          times.rawUpload.push(
            await timed(async () => {
              for (const r of raw) await rawUpload(client, "bench", `raw-${rep}/${r.name}`, r.bytes);
            }),
          );
        const doSave = async () => times.save.push(await timed(() => store.save({ kind: "rolling", step: 1, tensors: groups })));
        // Into fresh memory, as a download of a checkpoint into memory is (a load allocates its tensors too).
        const doRawDown = async () =>
          times.rawDownload.push(
            await timed(async () => {
              for (const r of raw) await rawDownload(client, "bench", `raw-${rep}/${r.name}`, new Uint8Array(r.bytes.byteLength));
            }),
          );
        const doLoad = async () => times.load.push(await timed(() => store.load("auto")));
        for (const step of rawFirst ? [doRawUp, doSave, doRawDown, doLoad] : [doSave, doRawUp, doLoad, doRawDown]) await step();
      } finally {
        await store.close();
      }
    }
  } finally {
    await s3.close();
  }
  const gbps = (s: number): number => bytes / s / 1e9;
  const row = (id: string, name: string, key: keyof typeof times, base?: keyof typeof times, target?: string): BenchRow => ({
    bench: "s3",
    id,
    name,
    bytes,
    reps,
    bestMs: Math.min(...times[key]) * 1000,
    medianMs: medianOf(times[key]) * 1000,
    bestGBps: gbps(Math.min(...times[key])),
    medianGBps: gbps(medianOf(times[key])),
    ...(base === undefined
      ? {}
      : {
          ratioBest: Math.min(...times[base]) / Math.min(...times[key]),
          ratioMedian: medianOf(times[base]) / medianOf(times[key]),
        }),
    ...(target === undefined ? {} : { target }),
  });
  return [
    row("raw_upload", "plain SDK multipart upload", "rawUpload"),
    row("save", "store.save to s3://", "save", "rawUpload", "≥ 0.9 × plain upload"),
    row("raw_download", "plain SDK download", "rawDownload"),
    row("load", "store.load from s3:// (read + hash)", "load", "rawDownload", "≥ 0.9 × plain download"),
  ];
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (name: string): number | undefined => (args.includes(name) ? Number(cliOption(name, args)) : undefined);
  printRows(await s3Bench({ reps: value("--reps") ?? 3, mib: value("--mib") ?? 256 }), args.includes("--json"));
}
