/**
 * The executed notebook: the notebook that ran (parameters injected), every code cell's outputs
 * from its newest execution, and what the supervisor saw in `metadata.nbresume.run` (status,
 * parameters, each kernel loss and the step the training resumed from). Code cells start with no
 * outputs, as with `jupyter nbconvert --execute`, so a cell that never ran shows nothing stale.
 *
 * Written at the end, after each crash, on a stop, and during a long cell at most every
 * `WRITE_EVERY_MS` — never in place: temp file → write → fsync → rename → fsync the directory,
 * so a reader (or a supervisor killed mid-write) sees the previous file or the new one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { NotebookCell, Notebook, NotebookOutput } from "./notebook-file.js";

/** While a cell runs, its outputs so far reach the file at most this often. */
export const WRITE_EVERY_MS = 30_000;

/** One kernel loss as the notebook records it. */
export interface RestartRecord {
  /** ISO time the loss was noticed. */
  readonly at: string;
  /** The code cell that was running, its number among the executed notebook's code cells (1-based, the injected parameters cell counted), as messages name it ("cell 6 of 7"); null while the kernel started. */
  readonly cell: number | null;
  readonly reason: string;
  /** The step of the newest checkpoint that verified when the kernel was restarted (where training resumes). */
  readonly resumedFrom: number | null;
  /** The checkpoint's directory name. */
  readonly checkpoint: string | null;
}

export type RunStatus = "running" | "finished" | "cell-error" | "gave-up" | "stopped";

interface CellState {
  outputs: NotebookOutput[];
  executionCount: number | null;
}

export class ExecutedNotebook {
  private readonly cells: (CellState | undefined)[];
  private readonly restarts: RestartRecord[] = [];
  private status: RunStatus = "running";
  private readonly started = new Date().toISOString();
  private ended: string | undefined;
  private lastWrite = 0;

  constructor(
    readonly notebook: Notebook,
    readonly path: string,
    private readonly info: { readonly kernel: string; readonly parameters: Readonly<Record<string, unknown>> },
  ) {
    this.cells = notebook.cells.map((c) => (c.cell_type === "code" ? { outputs: [], executionCount: null } : undefined));
  }

  /** Indexes (in notebook.cells) of the code cells, in order. */
  codeCells(): number[] {
    return this.notebook.cells.flatMap((c, i) => (c.cell_type === "code" ? [i] : []));
  }

  setCell(index: number, outputs: readonly NotebookOutput[], executionCount: number | null): void {
    const cell = this.cells[index];
    if (cell === undefined) throw new RangeError(`cell ${index} is not a code cell`);
    cell.outputs = [...outputs];
    cell.executionCount = executionCount;
  }

  recordRestart(record: RestartRecord): void {
    this.restarts.push(record);
  }

  get restartRecords(): readonly RestartRecord[] {
    return this.restarts;
  }

  finish(status: Exclude<RunStatus, "running">): void {
    this.status = status;
    this.ended = new Date().toISOString();
  }

  /** The notebook as it stands. */
  toJson(): Notebook {
    const cells = this.notebook.cells.map((cell, i): NotebookCell => {
      const state = this.cells[i];
      return state === undefined ? cell : { ...cell, outputs: state.outputs, execution_count: state.executionCount };
    });
    const previous = this.notebook.metadata["nbresume"];
    const run = {
      status: this.status,
      started: this.started,
      ...(this.ended === undefined ? {} : { ended: this.ended }),
      kernel: this.info.kernel,
      parameters: this.info.parameters,
      restarts: this.restarts,
    };
    const nbresume = typeof previous === "object" && previous !== null && !Array.isArray(previous) ? { ...previous, run } : { run };
    return { ...this.notebook, cells, metadata: { ...this.notebook.metadata, nbresume } };
  }

  /** Writes now (atomically). */
  write(): void {
    writeAtomic(this.path, `${JSON.stringify(this.toJson(), null, 1)}\n`);
    this.lastWrite = Date.now();
  }

  /** Writes if the last write is older than WRITE_EVERY_MS (a long cell's outputs so far). */
  writeIfDue(): void {
    if (Date.now() - this.lastWrite >= WRITE_EVERY_MS) this.write();
  }
}

function writeAtomic(path: string, text: string): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    const fd = openSync(temp, "wx");
    try {
      const bytes = Buffer.from(text, "utf8");
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems cannot fsync a directory; the rename is still atomic.
  }
}
