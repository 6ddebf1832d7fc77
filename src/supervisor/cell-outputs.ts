/**
 * One cell's outputs as nbformat 4 stores them, built from its iopub messages the way nbclient
 * builds them: consecutive stream text of one name is one output, a display_data keeps its
 * display id (off the record) so update_display_data replaces it in place, clear_output with
 * wait=true clears at the next output. MIME data stays as the kernel sent it (PNG as base64).
 */
import type { IOPubMessage } from "./jupyter.js";
import type { NotebookOutput } from "./notebook-file.js";

type MutableOutput = { output_type: string } & Record<string, unknown>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function displayId(content: Readonly<Record<string, unknown>>): string | undefined {
  const id = record(content["transient"])["display_id"];
  return typeof id === "string" ? id : undefined;
}

export class CellOutputs {
  private outputs: MutableOutput[] = [];
  /** display id → the outputs showing it. */
  private byDisplay = new Map<string, MutableOutput[]>();
  private clearAtNext = false;
  /** The kernel's execution count for this cell (execute_input, or the reply's). */
  executionCount: number | null = null;

  /** Applies one iopub message; returns whether the outputs changed. */
  apply(message: IOPubMessage): boolean {
    const c = message.content;
    switch (message.msgType) {
      case "execute_input":
        if (typeof c["execution_count"] === "number") this.executionCount = c["execution_count"];
        return false;
      case "stream":
        this.stream(c["name"] === "stderr" ? "stderr" : "stdout", typeof c["text"] === "string" ? c["text"] : "");
        return true;
      case "display_data": {
        const output: MutableOutput = { output_type: "display_data", data: record(c["data"]), metadata: record(c["metadata"]) };
        this.push(output);
        const id = displayId(c);
        if (id !== undefined) this.byDisplay.set(id, [...(this.byDisplay.get(id) ?? []), output]);
        return true;
      }
      case "update_display_data": {
        const id = displayId(c);
        const shown = id === undefined ? undefined : this.byDisplay.get(id);
        for (const output of shown ?? []) {
          output["data"] = record(c["data"]);
          output["metadata"] = record(c["metadata"]);
        }
        return shown !== undefined;
      }
      case "execute_result":
        this.push({
          output_type: "execute_result",
          execution_count: typeof c["execution_count"] === "number" ? c["execution_count"] : this.executionCount,
          data: record(c["data"]),
          metadata: record(c["metadata"]),
        });
        return true;
      case "error":
        this.push({
          output_type: "error",
          ename: typeof c["ename"] === "string" ? c["ename"] : "",
          evalue: typeof c["evalue"] === "string" ? c["evalue"] : "",
          traceback: Array.isArray(c["traceback"]) ? c["traceback"].map(String) : [],
        });
        return true;
      case "clear_output":
        if (c["wait"] === true) this.clearAtNext = true;
        else this.clear();
        return true;
      default:
        return false;
    }
  }

  /** Stream text of the supervisor's own (a note about a crash), as the kernel's would be. */
  stream(name: "stdout" | "stderr", text: string): void {
    const last = this.outputs.at(-1);
    if (!this.clearAtNext && last !== undefined && last.output_type === "stream" && last["name"] === name) {
      last["text"] = `${String(last["text"])}${text}`;
      return;
    }
    this.push({ output_type: "stream", name, text });
  }

  /** All stream text of one name (tslab sends a cell's error as stderr text). */
  text(name: "stdout" | "stderr"): string {
    return this.outputs
      .filter((o) => o.output_type === "stream" && o["name"] === name)
      .map((o) => String(o["text"]))
      .join("");
  }

  list(): NotebookOutput[] {
    return this.outputs.map((o) => ({ ...o }));
  }

  private push(output: MutableOutput): void {
    if (this.clearAtNext) this.clear();
    this.outputs.push(output);
  }

  private clear(): void {
    this.outputs = [];
    this.byDisplay = new Map();
    this.clearAtNext = false;
  }
}
