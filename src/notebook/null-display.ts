import type { Display } from "./display.js";
import { checkBundle, type MimeBundle } from "./mime-bundle.js";

/** Shows nothing (scripts and tests that want no output), but still rejects malformed bundles. */
export class NullDisplay implements Display {
  show(bundle: MimeBundle): void {
    checkBundle(bundle);
  }

  update(bundle: MimeBundle): void {
    checkBundle(bundle);
  }
}
