/**
 * Runs one benchmark module's function in a process of its own, for bench/suite.ts:
 *
 *   node --import tsx bench/module-child.ts FILE FUNCTION OPTIONS_JSON
 *
 * and prints its rows as JSON lines. A fresh process per module: one module's heap (256 MiB
 * checkpoints, TF.js, onnxruntime sessions) and garbage collections never land in another's timings.
 */
import { printRows, type BenchRow } from "./bench-row.js";

const [file, fn, options] = process.argv.slice(2);
if (file === undefined || fn === undefined || options === undefined) {
  console.error("usage: node --import tsx bench/module-child.ts FILE FUNCTION OPTIONS_JSON");
  process.exit(2);
}
const mod = (await import(new URL(`./${file}`, import.meta.url).href)) as Record<string, unknown>;
const run = mod[fn];
if (typeof run !== "function") {
  console.error(`bench/${file} exports no function ${fn}`);
  process.exit(2);
}
printRows(await (run as (o: unknown) => Promise<BenchRow[]>)(JSON.parse(options)), true);
