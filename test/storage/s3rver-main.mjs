// The test S3 server in a process of its own (s3-server.ts starts it): s3rver on 127.0.0.1 with
// objects under argv[2], on port argv[3] (else any free port); prints its port. Node runs it with --openssl-legacy-provider: s3rver makes
// the continuation tokens of listings longer than one page with DES, which OpenSSL 3 leaves out
// by default.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const S3rver = require("s3rver");
const server = new S3rver({ address: "127.0.0.1", port: Number(process.argv[3] ?? 0), silent: true, directory: process.argv[2], vhostBuckets: false });
const { port } = await server.run();
process.stdout.write(`${port}\n`);
// Keep-alive connections would hold close() open: exit once it is asked to stop.
process.on("SIGTERM", () => {
  setTimeout(() => process.exit(0), 200).unref();
  server.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
});
