/**
 * Paths as the user reads them: relative to the working directory when inside it (a notebook's
 * folder, where the user wrote `dir: "runs/mnist"`), else absolute.
 */
import * as path from "node:path";

export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? p : rel;
}
