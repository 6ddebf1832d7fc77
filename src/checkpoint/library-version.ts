/** The nbresume version recorded in every checkpoint, read once from package.json. */
import { createRequire } from "node:module";

// src/checkpoint/*.ts and dist/checkpoint/*.js both sit two levels below the package root.
const pkg = createRequire(import.meta.url)("../../package.json") as { version?: unknown };

export const NBRESUME_VERSION: string = typeof pkg.version === "string" ? pkg.version : "0.0.0";
