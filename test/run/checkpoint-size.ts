/** The bytes of a checkpoint directory's files, as the store's listing counts them. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Bytes of a checkpoint directory's files (as the store's listing counts them). */
export function statSize(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}
