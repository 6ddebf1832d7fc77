/**
 * TensorFlow.js (tfjs-core) on its wasm backend (SIMD, one thread) in plain Node, the baseline the
 * engine benchmarks (bench/engine.bench.ts, bench/tfjs-unet.ts) compare against. Two things tfjs-core
 * does not give a Node program out of the box:
 * - its gradient registrations are published only as unbundled ESM (directory imports Node refuses):
 *   esbuild (installed with tsx) bundles them once per process, and they register into tfjs's global
 *   registry, which the Node build of tfjs-core shares;
 * - the wasm backend has no Conv2DBackpropFilter kernel, so one is registered here, built from the
 *   backend's own kernels: dW[kh, kw, ci, co] = Σ x_pad[n, oh·s + kh, ow·s + kw, ci]·dy[n, oh, ow, co]
 *   is a stride-1 convolution of x_pad (channels as batch, batch as channels) with dy as the filter
 *   dilated by s. (Its Conv3DBackpropFilterV2 on depth-1 views would be copy-free, but it is wrong
 *   for strides > 1 in tfjs-backend-wasm 4.22: checked against the cpu backend.)
 */
import type * as tfc from "@tensorflow/tfjs-core";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Tf = typeof tfc;

let ready: Promise<Tf> | undefined;

/** tfjs-core on the wasm backend with every gradient registered, plus Conv2DBackpropFilter for wasm. */
export function tfjsWasm(): Promise<Tf> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const tf = await import("@tensorflow/tfjs-core");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const { build } = await import("esbuild");
    const entry = join(dirname(require.resolve("@tensorflow/tfjs-core/package.json")), "dist", "register_all_gradients.js");
    const out = await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", write: false, logLevel: "silent" });
    const dir = await mkdtemp(join(tmpdir(), "nbresume-bench-tfjs-"));
    try {
      const file = join(dir, "register-gradients.mjs");
      await writeFile(file, out.outputFiles[0]!.text);
      await import(pathToFileURL(file).href);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    wasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/");
    await tf.setBackend("wasm");
    await tf.ready();
    if (tf.getKernel("Conv2DBackpropFilter", "wasm") === undefined) registerConv2DBackpropFilter(tf);
    return tf;
  })();
  return ready;
}

type TensorInfo = tfc.TensorInfo;

function registerConv2DBackpropFilter(tf: Tf): void {
  const kernel = (name: string) => tf.getKernel(name, "wasm").kernelFunc;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const { strides, pad, filterShape, dimRoundingMode } = attrs as unknown as {
        strides: number | [number, number];
        pad: "same" | "valid" | number;
        filterShape: [number, number, number, number];
        dimRoundingMode?: "floor" | "round" | "ceil";
      };
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
      const { top, bottom, left, right } = info.padInfo;
      const temporaries: TensorInfo[] = [];
      const run = (name: string, ins: Record<string, TensorInfo>, at: Record<string, unknown>): TensorInfo => {
        const out = kernel(name)({ inputs: ins, backend, attrs: at as never }) as TensorInfo;
        temporaries.push(out);
        return out;
      };
      let xp = run(
        "PadV2",
        { x },
        {
          paddings: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      // Rows/columns the windows never reach (a stride that does not divide the padded size).
      const needH = (info.outHeight - 1) * info.strideHeight + info.filterHeight;
      const needW = (info.outWidth - 1) * info.strideWidth + info.filterWidth;
      if (xp.shape[1] !== needH || xp.shape[2] !== needW) xp = run("Slice", { x: xp }, { begin: [0, 0, 0, 0], size: [-1, needH, needW, -1] });
      const xt = run("Transpose", { x: xp }, { perm: [3, 1, 2, 0] });
      const dyt = run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
      const dw = run("Conv2D", { x: xt, filter: dyt }, { strides: 1, pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth] });
      temporaries.pop();
      const result = kernel("Transpose")({ inputs: { x: dw }, backend, attrs: { perm: [1, 2, 0, 3] } }) as TensorInfo;
      for (const t of [...temporaries, dw]) (backend as tfc.KernelBackend).disposeData(t.dataId);
      return result;
    },
  });
}
