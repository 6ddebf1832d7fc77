/**
 * One rerun of the demo in a process of its own, for resume.bench.ts's fresh-process rows: what a
 * kernel restart really costs, with nothing compiled or JIT-warmed in the process yet. Modules,
 * onnxruntime and the MNIST digits are loaded before the clock starts, as a notebook's import cell
 * does before the training cell runs. Prints one JSON line.
 *
 *   node --import tsx bench/resume-child.ts train DIR STEPS PRESET [--dist]   → TrainTimings
 *   node --import tsx bench/resume-child.ts reference DIR PRESET               → ReferenceTimes
 */
import "../src/engine/register-builtins.js";
import { loadMnist } from "../src/engine/data/mnist.js";
import { isUNetPreset } from "../src/engine/models/unet.js";
import type * as runModule from "../src/run/index.js";
import { demoRunOptions, referencePass } from "./resume.bench.js";

type RunModule = typeof runModule;
const DIST_BUILTINS = "../dist/engine/register-builtins.js";

const [mode, dir, ...rest] = process.argv.slice(2);
const preset = mode === "train" ? rest[1] : rest[0];
if ((mode !== "train" && mode !== "reference") || dir === undefined || preset === undefined || !isUNetPreset(preset)) {
  console.error("usage: node --import tsx bench/resume-child.ts train DIR STEPS PRESET [--dist] | reference DIR PRESET");
  process.exit(2);
}
if (mode === "reference") {
  console.log(JSON.stringify(await referencePass(dir, preset)));
} else {
  const steps = Number(rest[0]);
  const dist = rest.includes("--dist");
  // The built package has registries of its own: its graph builder finds the built-in ops there.
  if (dist) await import(DIST_BUILTINS);
  const { resumable } = (await import(dist ? "../dist/run/index.js" : "../src/run/index.js")) as RunModule;
  const data = await loadMnist();
  const result = await resumable(demoRunOptions(preset, dir, data, steps)).train();
  if (result.startStep !== steps - 1) throw new Error(`did not resume: ${result.status} from step ${result.startStep}`);
  console.log(JSON.stringify(result.timings));
}
