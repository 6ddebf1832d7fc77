/** The notebook layer's public surface: displays and cooperative interrupts. tslab stays behind tslab-display.ts. */
export { createDisplay } from "./create-display.js";
export type { Display, DisplayKind, DisplayOptions } from "./display.js";
export { checkBundle, type DisplayMetadata, type MimeBundle } from "./mime-bundle.js";
export { inTslabKernel } from "./tslab-display.js";
export {
  interruptSignal,
  isRunActive,
  runExclusive,
  stopReason,
  type ExclusiveRunOptions,
  type InterruptOptions,
  type InterruptScope,
  type StopReason,
  type StopSignal,
} from "./interrupt.js";
export { NotebookErrorCode, type NotebookErrorCodeValue } from "./messages.js";
