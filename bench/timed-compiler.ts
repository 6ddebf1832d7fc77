/** A graph compiler for benchmarks that measures how much of a step is spent inside onnxruntime's run(). */
import { compileGraph } from "../src/engine/runtime/ort-runtime.js";
import type { CompiledGraph } from "../src/engine/runtime/runtime.js";
import type { GraphCompiler } from "../src/engine/session/onnx-training-session.js";

/** A compiler whose graphs add the time spent inside run() to `clock.ms`. */
export function timedCompiler(clock: { ms: number }): GraphCompiler {
  return async (bytes, options) => {
    const inner = await compileGraph(bytes, options);
    const timed: CompiledGraph = {
      inputNames: inner.inputNames,
      outputNames: inner.outputNames,
      release: () => inner.release(),
      run: async (feeds, fetches) => {
        const t0 = performance.now();
        try {
          return await inner.run(feeds, fetches);
        } finally {
          clock.ms += performance.now() - t0;
        }
      },
    };
    return timed;
  };
}
