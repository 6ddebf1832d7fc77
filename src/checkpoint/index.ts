/** The checkpoint store's public API. */
export * from "./store.js";
export { CheckpointStore } from "./store-factory.js";
export { CheckpointErrorCode } from "./messages.js";
export type { CheckpointErrorCodeValue } from "./messages.js";
export type { Manifest, ManifestFileEntry } from "./manifest.js";
export type { DurableFs, FileHandleLike, StatLike, StatFsLike } from "./durable-fs.js";
export { diffConfigs } from "../shared/config-diff.js";
// The storage seam: where checkpoints live (a directory, s3://bucket/prefix, or a scheme of your own).
export { registerStorageScheme, registeredStorageSchemes, type StorageScheme, type StorageOptions } from "./storage/registry.js";
export type {
  CheckpointStorage,
  CheckpointFiles,
  StagedCheckpoint,
  FileSink,
  OpenedFile,
  WriterLease,
  BlobStore,
  BlobInfo,
  StorageSpec,
  FilesystemUsage,
} from "./storage/storage.js";
export type { S3Options } from "./storage/s3/s3-options.js";
export { writeFileAtomically } from "./atomic-file.js";
