/**
 * A small HTTP proxy of ours on 127.0.0.1 between the AWS SDK and the S3 server, that injects the
 * faults real networks and services produce: a dropped connection (before or after the request
 * reached the server), a delay, a 500 / 503 SlowDown answer (S3's XML error body), and a response
 * body cut short. Every request is logged (method, path and query) so tests can see what the store
 * sent (retries, aborted uploads). Faults are chosen per request by a rule the test sets.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type Fault =
  | { kind: "drop" }
  /** Forward it, then drop the connection before answering (the server did the work). */
  | { kind: "drop-after" }
  | { kind: "delay"; ms: number }
  | { kind: "status"; status: 500 | 503; code: "InternalError" | "SlowDown" | "ServiceUnavailable" }
  /** Forward it and send only the first `bytes` of the body, then cut the connection. */
  | { kind: "truncate"; bytes: number }
  /** Forward it and change the answer's XML (a hostile or broken listing). */
  | { kind: "listing"; rewrite: (xml: string) => string }
  /** Answer a ListObjectsV2 with 1,000 made-up keys under `prefix` and "there is more", every time. */
  | { kind: "endless-listing"; prefix: string };

export interface ProxiedRequest {
  method: string;
  url: string;
  fault: Fault["kind"] | undefined;
}

export type FaultRule = (request: { method: string; url: string; n: number }) => Fault | undefined;

export interface FaultProxy {
  endpoint: string;
  log: ProxiedRequest[];
  rule: FaultRule;
  close(): Promise<void>;
}

function xmlError(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the test proxy</Message><RequestId>test</RequestId></Error>`;
}

export async function startFaultProxy(target: { port: number }): Promise<FaultProxy> {
  let n = 0;
  const proxy: FaultProxy = { endpoint: "", log: [], rule: () => undefined, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const fault = proxy.rule({ method, url, n: n++ });
    proxy.log.push({ method, url, fault: fault?.kind });
    if (fault?.kind === "drop") {
      req.resume();
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      req.resume();
      req.on("end", () => {
        const body = xmlError(fault.code);
        res.writeHead(fault.status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    if (fault?.kind === "endless-listing") {
      req.resume();
      const page = Array.from(
        { length: 1000 },
        (_, i) => `<Contents><Key>${fault.prefix}/junk-${String(n).padStart(8, "0")}-${String(i).padStart(4, "0")}</Key><Size>1</Size></Contents>`,
      ).join("");
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>more-${n}</NextContinuationToken>${page}</ListBucketResult>`;
      res.writeHead(200, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const forward = async (): Promise<void> => {
      if (fault?.kind === "delay") await sleep(fault.ms);
      const upstream = http.request({ host: "127.0.0.1", port: target.port, method, path: url, headers: req.headers }, (up) => {
        if (fault?.kind === "drop-after") {
          up.resume();
          req.socket.destroy();
          return;
        }
        if (fault?.kind === "listing") {
          const chunks: Buffer[] = [];
          up.on("data", (c: Buffer) => chunks.push(c));
          up.on("end", () => {
            const body = fault.rewrite(Buffer.concat(chunks).toString("utf8"));
            res.writeHead(up.statusCode ?? 502, { ...up.headers, "content-length": Buffer.byteLength(body) });
            res.end(body);
          });
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (fault?.kind === "truncate") {
          let sent = 0;
          up.on("data", (chunk: Buffer) => {
            if (sent >= fault.bytes) return;
            const part = chunk.subarray(0, fault.bytes - sent);
            sent += part.byteLength;
            res.write(part);
            if (sent >= fault.bytes) {
              up.destroy();
              res.socket?.destroy();
            }
          });
          up.on("end", () => res.socket?.destroy());
          return;
        }
        up.pipe(res);
      });
      upstream.on("error", () => res.socket?.destroy());
      req.pipe(upstream);
    };
    forward().catch(() => res.socket?.destroy());
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
