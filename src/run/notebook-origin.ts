/**
 * Which notebook (and cell) a run was started from, recorded in its checkpoints so `nbresume
 * resume-command` can say how to continue a run that has no command line. The notebook's path is
 * what Jupyter tells its kernels (JPY_SESSION_NAME, set by jupyter_server 2 for kernels it starts
 * for a notebook), or NBRESUME_NOTEBOOK (set it yourself, or let a supervisor). The cell is known
 * only when the kernel says which cell runs: a kernel entry may set
 * globalThis[Symbol.for("nbresume.cell")] to the execute request's cellId; tslab itself passes no
 * cell metadata to the code it runs. The parameters `nbresume run --param` gave the notebook are
 * recorded too (its injected cell sets globalThis[Symbol.for("nbresume.parameters")]), so the
 * command that continues the run passes them again.
 */
import { inTslabKernel } from "../notebook/tslab-display.js";
import type { NotebookRecord } from "./run-state.js";

export const CELL_SYMBOL = Symbol.for("nbresume.cell");
export const PARAMETERS_SYMBOL = Symbol.for("nbresume.parameters");

/** The injected parameters, when they are a plain object of JSON values (anything else is not recorded). */
function injectedParameters(): Readonly<Record<string, unknown>> | undefined {
  const value = (globalThis as Record<symbol, unknown>)[PARAMETERS_SYMBOL];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function notebookRecord(): NotebookRecord | undefined {
  const named = process.env["NBRESUME_NOTEBOOK"] ?? process.env["JPY_SESSION_NAME"];
  if (!inTslabKernel() && process.env["NBRESUME_NOTEBOOK"] === undefined) return undefined;
  const cell = (globalThis as Record<symbol, unknown>)[CELL_SYMBOL];
  const parameters = injectedParameters();
  return {
    path: typeof named === "string" && named !== "" ? named : null,
    cell: typeof cell === "string" && cell !== "" ? cell : null,
    ...(parameters === undefined ? {} : { parameters }),
  };
}
