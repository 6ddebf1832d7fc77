/**
 * `CheckpointStore.open(dir, options)`: the store's factory, bound to its implementation
 * (checkpoint-store.ts). store.ts states the contract and imports no implementation; this file
 * joins the two, and exports the factory under the interface's name, as a value and as the type.
 */
import { CheckpointStoreImpl } from "./checkpoint-store.js";
import type { CheckpointStore as OpenCheckpointStore, CheckpointStoreFactory } from "./store.js";

/** An open, writable checkpoint store (the interface in store.ts). */
export type CheckpointStore = OpenCheckpointStore;
export const CheckpointStore: CheckpointStoreFactory = CheckpointStoreImpl;
