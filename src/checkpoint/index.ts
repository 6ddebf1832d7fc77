/** The checkpoint store's public API. */
export * from "./store.js";
export { CheckpointErrorCode } from "./messages.js";
export type { CheckpointErrorCodeValue } from "./messages.js";
export type { Manifest, ManifestFileEntry } from "./manifest.js";
export type { DurableFs, FileHandleLike, StatLike, StatFsLike } from "./durable-fs.js";
export { diffConfigs } from "./config-diff.js";
