/**
 * The process Jupyter starts for the "TypeScript (nbresume)" kernel (kernel.json's argv):
 *
 *   node dist/kernel/main.js --tslab TSLAB_DIR --config-path CONNECTION_FILE
 *
 * It loads the tslab named by absolute path (the one `nbresume kernel install` found from the
 * project), patches its converter (converter-patch.ts) and starts tslab's kernel. tslab's own
 * "find a tslab in the notebook's folders and run that instead" is turned off: that copy would run
 * unpatched, and the kernelspec already names the project's tslab. A cell that fails prints what
 * the user needs: one line for an interrupt (quiet-interrupts.ts), nbresume's own errors as their
 * message and the user's frames (plain-library-errors.ts).
 *
 * The kernel process is tslab itself, so this is the one place besides notebook/tslab-display.ts
 * that loads tslab: by path, with require, as tslab's own bin script does.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as TS from "typescript";
import { patchConverter, type ConverterModule } from "./converter-patch.js";
import { kernelMessages } from "./messages.js";
import { quietInterrupts } from "./quiet-interrupts.js";
import { plainLibraryErrors } from "./plain-library-errors.js";
import { PACKAGE_ROOT, readTslab } from "./package-paths.js";

interface KernelArgs {
  readonly tslab: string;
  readonly configPath: string;
}

function parseKernelArgs(argv: readonly string[]): KernelArgs {
  let tslab: string | undefined;
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === "--tslab" || arg === "--config-path") && value === undefined) throw new Error(kernelMessages.kernelUsage(`${arg} needs a value`));
    if (arg === "--tslab") tslab = value;
    else if (arg === "--config-path") configPath = value;
    else throw new Error(kernelMessages.kernelUsage(`unknown argument '${arg}'`));
    i++;
  }
  if (tslab === undefined || configPath === undefined)
    throw new Error(kernelMessages.kernelUsage(`missing ${tslab === undefined ? "--tslab" : "--config-path"}`));
  return { tslab, configPath };
}

interface TslabMain {
  startKernel: (options: { configPath: string; enableFindLocal: boolean; jsKernel: boolean; globalVersion: string }) => void;
}

function main(): void {
  let args: KernelArgs;
  try {
    args = parseKernelArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const tslabRequire = createRequire(join(args.tslab, "package.json"));
  const ts = tslabRequire("@tslab/typescript-for-tslab") as typeof TS;
  patchConverter(tslabRequire("./dist/converter.js") as ConverterModule, ts);
  quietInterrupts(console);
  plainLibraryErrors(console, PACKAGE_ROOT);
  const { startKernel } = tslabRequire("./dist/main.js") as TslabMain;
  startKernel({ configPath: args.configPath, enableFindLocal: false, jsKernel: false, globalVersion: readTslab(args.tslab).version });
}

main();
