/**
 * Starting one of the store's worker threads (save-worker.ts, mirror-worker.ts): from the compiled
 * .js, or from the .ts source through tsx (tests, benchmarks).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** `script` ("save-worker") beside the module at `self` (its import.meta.url). */
export function startWorker(self: string, script: string, workerData: unknown): Worker {
  if (!self.endsWith(".ts")) return new Worker(new URL(`./${script}.js`, self), { workerData });
  // Hooks registered in the main thread do not reach workers in Node 20: register tsx there too.
  // (createRequire, not import.meta.resolve: tsx may have compiled this very file to CommonJS, and
  // then require conditions would pick tsx's CommonJS API; read the ESM entry from its exports.)
  const require = createRequire(self);
  const manifest = require("tsx/package.json") as { exports: Record<string, { import: { default: string } }> };
  const api = new URL(manifest.exports["./esm/api"]!.import.default, pathToFileURL(require.resolve("tsx/package.json"))).href;
  const url = new URL(`./${script}.ts`, self).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(code, { eval: true, workerData });
}
