/**
 * The engine's data: datasets as named columns, their constructors (arrays, CSV, JSON Lines,
 * .npy/.npz, safetensors, text, the MNIST digits), splits, and a resumable, seeded DataLoader.
 */
export type { Column, ColumnDType, Columns, Dataset, DatasetRows, DatasetSplit, TrainValidationSplit } from "./dataset.js";
export { COLUMN_DTYPES } from "./dataset.js";
export type { Batch, DataLoaderCursor, DataLoaderOptions } from "./batch.js";
export { DataLoader } from "./data-loader.js";
export { fromArrays } from "./from-arrays.js";
export type { ArrayColumnInput } from "./from-arrays.js";
export { fromCsv } from "./from-csv.js";
export type { CsvColumn, FromCsvOptions } from "./from-csv.js";
export { fromJsonl } from "./from-jsonl.js";
export type { FromJsonlOptions, JsonlColumn } from "./from-jsonl.js";
export { fromNpy } from "./from-npy.js";
export type { FromNpyOptions } from "./from-npy.js";
export { fromNpz } from "./from-npz.js";
export type { FromNpzOptions } from "./from-npz.js";
export { fromSafetensors } from "./from-safetensors.js";
export type { FromSafetensorsOptions } from "./from-safetensors.js";
export { fromTextCorpus } from "./from-text-corpus.js";
export type { FromTextCorpusOptions, TextSource } from "./from-text-corpus.js";
export { textTokenizer } from "./text-tokenizer.js";
export type { TextTokenizer, TokenizerKind } from "./text-tokenizer.js";
export { loadMnist } from "./mnist.js";
export type { LoadMnistOptions } from "./mnist.js";
export { splitDataset } from "./split-dataset.js";
export type { SplitOptions } from "./split-dataset.js";
export { subset } from "./subset.js";
export { datasetRecord } from "./dataset-record.js";
export { DataErrorCode } from "./messages.js";
export type { DataErrorCodeValue } from "./messages.js";
