/**
 * Executes a notebook headless with the nbresume kernel (Debian's `jupyter nbconvert --execute`,
 * i.e. nbclient) and returns the executed notebook. The kernel runs in the notebook's folder.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createJupyterEnv, jupyterBin, KERNEL_NAME, type JupyterEnv } from "./jupyter-server.js";

export interface NotebookOutput {
  readonly output_type: string;
  readonly name?: string;
  readonly text?: string | string[];
  readonly data?: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
}

export interface NotebookCell {
  readonly id?: string;
  readonly cell_type: string;
  readonly source: string | string[];
  readonly outputs?: NotebookOutput[];
  readonly execution_count?: number | null;
}

export interface NotebookJson {
  readonly cells: NotebookCell[];
  readonly metadata: Record<string, unknown>;
  readonly nbformat: number;
  readonly nbformat_minor: number;
}

export interface ExecuteNotebookOptions {
  /** Per-cell timeout in seconds (ExecutePreprocessor.timeout). Default 600. */
  readonly cellTimeoutSec?: number;
  /** Keep going after a failing cell instead of failing the whole run. Default false. */
  readonly allowErrors?: boolean;
  /** Extra environment for the kernel (e.g. a small-setting variable). */
  readonly env?: NodeJS.ProcessEnv;
  /** A Jupyter environment with the kernel already installed; default: a fresh one, removed after. */
  readonly jupyter?: JupyterEnv;
}

export class NotebookExecutionFailed extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
    this.name = "NotebookExecutionFailed";
  }
}

/** The text of a cell's stream outputs (one stream name or all). */
export function streamText(cell: NotebookCell, name?: "stdout" | "stderr"): string {
  return (cell.outputs ?? [])
    .filter((o) => o.output_type === "stream" && (name === undefined || o.name === name))
    .map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? "")))
    .join("");
}

export async function executeNotebook(notebookPath: string, options: ExecuteNotebookOptions = {}): Promise<NotebookJson> {
  const jupyter = options.jupyter ?? createJupyterEnv();
  const outDir = mkdtempSync(join(tmpdir(), "nbresume-nbconvert-"));
  const out = join(outDir, "executed.ipynb");
  const args = [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
    `--ExecutePreprocessor.timeout=${options.cellTimeoutSec ?? 600}`,
    "--output",
    out,
    resolve(notebookPath),
  ];
  if (options.allowErrors === true) args.splice(3, 0, "--allow-errors");
  try {
    const { code, log } = await new Promise<{ code: number | null; log: string }>((done, reject) => {
      const child = spawn(jupyterBin(), args, { env: { ...jupyter.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
      let log = "";
      child.stdout.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr.on("data", (d: Buffer) => (log += d.toString()));
      child.once("error", reject);
      child.once("close", (c) => done({ code: c, log }));
    });
    if (code !== 0) throw new NotebookExecutionFailed(`nbconvert --execute ${notebookPath} exited with ${code}:\n${log}`, log);
    return JSON.parse(readFileSync(out, "utf8")) as NotebookJson;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    if (options.jupyter === undefined) jupyter.remove();
  }
}

/** A minimal nbformat 4 notebook for the nbresume kernel with these code cells. */
export function notebookWithCells(sources: readonly string[]): NotebookJson {
  return {
    cells: sources.map((source, i) => ({ id: `cell-${i}`, cell_type: "code", source, outputs: [], execution_count: null, metadata: {} })),
    metadata: {
      kernelspec: { name: KERNEL_NAME, display_name: "TypeScript (nbresume)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}
