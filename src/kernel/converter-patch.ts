/**
 * Wraps tslab's converter so every converted cell goes through our fixes before tslab runs it
 * (today one: shorthand properties of earlier cells' names, see shorthand.ts). tslab's main.js
 * calls `converter_1.createConverter(...)` through the module object at the time it needs one, so
 * replacing the export before the kernel starts is enough.
 */
import type * as TS from "typescript";
import { expandPrevCellShorthands } from "./shorthand.js";

interface ConvertResult {
  output?: string;
  [key: string]: unknown;
}

interface Converter {
  convert: (prevDecl: string, src: string) => ConvertResult; // a closure: called unbound
  [key: string]: unknown;
}

/** The shape of tslab's dist/converter.js that we touch. */
export interface ConverterModule {
  createConverter: (options?: unknown) => Converter; // a plain function: called unbound
}

const PATCHED = Symbol.for("nbresume.converterPatched");

export function patchConverter(module: ConverterModule, ts: typeof TS): void {
  const marked = module as ConverterModule & { [PATCHED]?: true };
  if (marked[PATCHED]) return;
  const original = module.createConverter;
  module.createConverter = (options?: unknown): Converter => {
    const converter = original(options);
    const convert = converter.convert;
    converter.convert = (prevDecl, src) => {
      const result = convert(prevDecl, src);
      if (typeof result.output === "string") result.output = expandPrevCellShorthands(ts, result.output, prevDecl);
      return result;
    };
    return converter;
  };
  marked[PATCHED] = true;
}
