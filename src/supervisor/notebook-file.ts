/**
 * A notebook as the supervisor reads it: nbformat 4 JSON, checked just enough to run it (cells
 * with a type and a source), every other field kept as it was so the executed notebook differs
 * from the source only in outputs, execution counts and what the run adds.
 */
import { readFileSync } from "node:fs";
import { NbresumeError } from "../errors.js";
import { SupervisorErrorCode, supervisorMessages as msg } from "./messages.js";

/** One output of a code cell (nbformat 4: stream, display_data, execute_result, error). */
export interface NotebookOutput {
  readonly output_type: string;
  readonly [field: string]: unknown;
}

export interface NotebookCell {
  readonly cell_type: string;
  /** nbformat's multiline string: one string, or lines each keeping its "\n". */
  readonly source: string | readonly string[];
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly outputs?: readonly NotebookOutput[];
  readonly execution_count?: number | null;
  readonly id?: string;
  readonly [field: string]: unknown;
}

export interface Notebook {
  readonly cells: readonly NotebookCell[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly nbformat: number;
  readonly nbformat_minor: number;
  readonly [field: string]: unknown;
}

/** nbformat's multiline string as one string. */
export function joinText(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join("");
  return typeof value === "string" ? value : "";
}

export function cellSource(cell: NotebookCell): string {
  return joinText(cell.source);
}

export function cellTags(cell: NotebookCell): string[] {
  const tags = cell.metadata?.["tags"];
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** The first non-empty line of a cell, shortened: how messages name a cell. */
export function cellHeadline(cell: NotebookCell, width = 60): string {
  const line =
    cellSource(cell)
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "(empty)";
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** The kernel the notebook asks for (metadata.kernelspec.name), if it names one. */
export function notebookKernelName(notebook: Notebook): string | undefined {
  const spec = notebook.metadata["kernelspec"];
  const name = typeof spec === "object" && spec !== null ? (spec as Record<string, unknown>)["name"] : undefined;
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** Checks parsed JSON is a notebook the supervisor can run; the message names the file and what is wrong. */
export function parseNotebook(text: string, path: string): Notebook {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new NbresumeError(SupervisorErrorCode.NOTEBOOK_INVALID, msg.notebookNotJson(path, error instanceof Error ? error.message : String(error)), {
      where: path,
    });
  }
  const invalid = (what: string): NbresumeError => new NbresumeError(SupervisorErrorCode.NOTEBOOK_INVALID, msg.notebookInvalid(path, what), { where: path });
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid("the file is not a JSON object");
  const nb = parsed as Record<string, unknown>;
  if (nb["nbformat"] !== 4) throw invalid(`nbformat is ${JSON.stringify(nb["nbformat"])}, expected 4 (save it with JupyterLab or nbconvert to upgrade it)`);
  if (!Array.isArray(nb["cells"])) throw invalid('it has no "cells" list');
  (nb["cells"] as unknown[]).forEach((cell, i) => {
    if (typeof cell !== "object" || cell === null) throw invalid(`cell ${i + 1} is not an object`);
    const c = cell as Record<string, unknown>;
    if (typeof c["cell_type"] !== "string") throw invalid(`cell ${i + 1} has no cell_type`);
    const source = c["source"];
    if (typeof source !== "string" && !(Array.isArray(source) && source.every((s) => typeof s === "string")))
      throw invalid(`cell ${i + 1}'s source is not text`);
  });
  const metadata = typeof nb["metadata"] === "object" && nb["metadata"] !== null ? nb["metadata"] : {};
  return { ...nb, metadata, nbformat: 4, nbformat_minor: typeof nb["nbformat_minor"] === "number" ? nb["nbformat_minor"] : 5 } as unknown as Notebook;
}

export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NbresumeError(SupervisorErrorCode.NOTEBOOK_UNREADABLE, msg.notebookUnreadable(path, code ?? String(error)), { where: path, cause: error });
  }
  return parseNotebook(text, path);
}
