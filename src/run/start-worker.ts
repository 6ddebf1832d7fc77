/**
 * Starts a worker thread whose script sits beside the calling module: the compiled `.js` in
 * dist/ (production, notebooks), or the `.ts` source through tsx (tests, benchmarks). The same
 * technique as the checkpoint store's writer thread (checkpoint/worker-writer.ts).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * `base` is the caller's import.meta.url, `name` the script's file name without extension
 * ("sampler-worker").
 */
export function startWorkerBeside(base: string, name: string, options: WorkerOptions): Worker {
  if (!base.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, base), options);
  // Hooks registered in the main thread do not reach workers in Node 20: register tsx there too.
  // (createRequire, not import.meta.resolve: tsx may have compiled the caller to CommonJS, and
  // then require conditions would pick tsx's CommonJS API; read the ESM entry from its exports.)
  const require = createRequire(base);
  const manifest = require("tsx/package.json") as { exports: Record<string, { import: { default: string } }> };
  const api = new URL(manifest.exports["./esm/api"]!.import.default, pathToFileURL(require.resolve("tsx/package.json"))).href;
  const script = new URL(`./${name}.ts`, base).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(code, { ...options, eval: true });
}
