/**
 * What renderers return: data tagged with MIME types, the shape of a Jupyter display_data
 * message's `data` (docs/CONTRIBUTING.md, "Notebook output is a MIME bundle"). Renderers never display; the notebook module sends these.
 */

/** A PNG picture with its plain-text stand-in (what a terminal or a text-only client shows). */
export interface PngBundle {
  readonly "image/png": Uint8Array;
  readonly "text/plain": string;
}

/** A rendered picture: the MIME bundle plus its pixel size. */
export interface RenderedImage {
  readonly bundle: PngBundle;
  readonly width: number;
  readonly height: number;
}

/** Progress text in the forms a notebook and a terminal show. */
export interface TextBundle {
  readonly "text/plain": string;
  readonly "text/html"?: string;
  readonly "text/markdown"?: string;
}
