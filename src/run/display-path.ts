/**
 * Paths as the user reads them: relative to the working directory when inside it (a notebook's
 * folder, where the user wrote `dir: "runs/mnist"`), else absolute. An object-storage URL
 * (`s3://bucket/prefix`) is shown as written: path.relative would fold its "//" into a path.
 */
import * as path from "node:path";
import { isUrlLocation } from "../checkpoint/storage/location.js";

export function displayPath(p: string): string {
  if (isUrlLocation(p)) return p;
  const rel = path.relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? p : rel;
}
