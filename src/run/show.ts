/**
 * One-off output for notebook cells and scripts: a table bundle, a rendered picture or any MIME
 * bundle, shown as its own output (a new display in a kernel, text in a terminal).
 */
import { createDisplay } from "../notebook/create-display.js";
import type { MimeBundle } from "../notebook/mime-bundle.js";
import type { RenderedImage } from "../render/mime-bundle.js";

export function show(what: MimeBundle | RenderedImage): void {
  const bundle = "bundle" in what && typeof what.bundle === "object" ? { ...(what as RenderedImage).bundle } : (what as MimeBundle);
  createDisplay().show(bundle);
}
