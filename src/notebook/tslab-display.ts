/**
 * The one file that talks to tslab (docs/CONTRIBUTING.md, "Native dependencies"). It never imports the `tslab` package: inside a
 * kernel it takes the kernel's own tslab instance through the require hook tslab puts on
 * globalThis.__tslab__ (another copy of tslab, e.g. one nested under nbresume, would not be wired
 * to the kernel and its display calls would fail with "Not ready").
 *
 * tslab's public display API sends one MIME type per message. To send a whole bundle (PNG plus a
 * text/plain caption, or HTML plus text) it calls the function tslab's API itself ends in,
 * `jupyter.lastWriteDisplayData(content, update)`, which the kernel points at the current cell.
 * If a future tslab lacks it, the public API sends the richest single type instead.
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Display } from "./display.js";
import { notebookMessages as msg } from "./messages.js";
import { checkBundle, type DisplayMetadata, type MimeBundle } from "./mime-bundle.js";

/** The slice of the Jupyter display_data / update_display_data content tslab sends as is. */
interface DisplayContent {
  data: Record<string, unknown>;
  metadata: DisplayMetadata;
  transient: { display_id: string };
}

interface TslabJupyterModule {
  lastWriteDisplayData: ((content: DisplayContent, update: boolean) => void) | null;
}

interface TslabPublicDisplay {
  raw(contentType: string, data: string | Uint8Array): void;
}

interface TslabPublicModule {
  newDisplay(): TslabPublicDisplay;
}

interface TslabHook {
  require(id: string): unknown;
}

function tslabHook(): TslabHook | undefined {
  const hook = (globalThis as { __tslab__?: { require?: unknown } }).__tslab__;
  return typeof hook?.require === "function" ? (hook as TslabHook) : undefined;
}

/** True inside a tslab kernel (tslab sets globalThis.__tslab__ before running any cell). */
export function inTslabKernel(): boolean {
  return tslabHook() !== undefined;
}

/** Most to least rich, for the single-type fallback. */
const PREFERENCE = ["image/png", "image/jpeg", "image/gif", "image/svg+xml", "text/html", "text/markdown", "text/latex", "text/plain"];

export function richestMime(bundle: MimeBundle): string {
  const mimes = Object.keys(bundle);
  return PREFERENCE.find((m) => mimes.includes(m)) ?? mimes[0] ?? "text/plain";
}

interface KernelTslab {
  readonly publicApi: TslabPublicModule;
  readonly jupyter: TslabJupyterModule | undefined;
}

let cached: KernelTslab | undefined;

function kernelTslab(): KernelTslab {
  if (cached !== undefined) return cached;
  const hook = tslabHook();
  if (hook === undefined) throw new Error(msg.notInKernel());
  const publicApi = hook.require("tslab") as TslabPublicModule;
  // The kernel's jupyter.js is the sibling of the public module it handed us, in the same cache.
  const cache = createRequire(import.meta.url).cache;
  let jupyter: TslabJupyterModule | undefined;
  for (const [file, mod] of Object.entries(cache)) {
    if (mod?.exports !== publicApi) continue;
    const sibling: unknown = cache[join(dirname(file), "jupyter.js")]?.exports;
    if (typeof sibling === "object" && sibling !== null && "lastWriteDisplayData" in sibling) jupyter = sibling as TslabJupyterModule;
    else console.warn(msg.tslabInternalsMissing(dirname(file)));
    break;
  }
  cached = { publicApi, jupyter };
  return cached;
}

/**
 * The message's `data`: bytes as base64; JSON types ("application/json", "…+json") as the JSON
 * value itself — Jupyter front ends hand those to their renderer as objects (JupyterLab's
 * vega-lite renderer takes a string for a URL to fetch); everything else as text.
 */
function encode(bundle: MimeBundle): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(bundle)) {
    if (typeof value !== "string") data[mime] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
    else if (mime === "application/json" || mime.endsWith("+json")) data[mime] = parseJsonOr(value);
    else data[mime] = value;
  }
  return data;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface TslabDisplayOptions {
  /** Force tslab's public one-type-per-message API (tests of the fallback). */
  readonly singleMimeOnly?: boolean;
}

export class TslabDisplay implements Display {
  private readonly id = randomUUID();
  private shown = false;
  private readonly tslab: KernelTslab;
  private publicDisplay: TslabPublicDisplay | undefined;

  constructor(private readonly options: TslabDisplayOptions = {}) {
    this.tslab = kernelTslab();
  }

  show(bundle: MimeBundle, metadata: DisplayMetadata = {}): void {
    checkBundle(bundle);
    this.send(bundle, metadata, false);
  }

  update(bundle: MimeBundle, metadata: DisplayMetadata = {}): void {
    checkBundle(bundle);
    this.send(bundle, metadata, this.shown);
  }

  private send(bundle: MimeBundle, metadata: DisplayMetadata, update: boolean): void {
    const write = this.tslab.jupyter?.lastWriteDisplayData;
    if (write != null && this.options.singleMimeOnly !== true) {
      write({ data: encode(bundle), metadata, transient: { display_id: this.id } }, update);
    } else {
      // tslab's Display sends display_data on its first call and update_display_data after.
      if (!update || this.publicDisplay === undefined) this.publicDisplay = this.tslab.publicApi.newDisplay();
      const mime = richestMime(bundle);
      const value = bundle[mime];
      if (value !== undefined) this.publicDisplay.raw(mime, value);
    }
    this.shown = true;
  }
}
