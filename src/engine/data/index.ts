/** The engine's data: the MNIST digits and a resumable, seeded DataLoader. */
export type { Dataset, DatasetSplit } from "./dataset.js";
export type { Batch, DataLoaderCursor, DataLoaderOptions } from "./batch.js";
export { DataLoader } from "./data-loader.js";
export { loadMnist } from "./mnist.js";
export type { LoadMnistOptions } from "./mnist.js";
export { DataErrorCode } from "./messages.js";
