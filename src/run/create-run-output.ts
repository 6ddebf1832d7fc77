/** Picks the run's output: the notebook display inside a tslab kernel, the terminal elsewhere. */
import { createDisplay } from "../notebook/create-display.js";
import { inTslabKernel } from "../notebook/tslab-display.js";
import { NotebookOutput } from "./notebook-output.js";
import type { OutputKind } from "./run.js";
import type { RunOutput } from "./run-output.js";
import { TerminalOutput } from "./terminal-output.js";

class SilentOutput implements RunOutput {
  readonly pictures = false;
  info(): void {}
  warn(): void {}
  table(): void {}
  preview(): void {}
  event(): void {}
  progress(): void {}
  end(): void {}
}

export function createRunOutput(kind: OutputKind | RunOutput): RunOutput {
  if (typeof kind === "object") return kind;
  switch (kind) {
    case "auto":
      return inTslabKernel() ? createRunOutput("notebook") : createRunOutput("terminal");
    case "notebook":
      return new NotebookOutput({ display: () => createDisplay({ kind: "tslab" }) });
    case "terminal":
      return new TerminalOutput({ stream: process.stdout, errorStream: process.stderr, input: process.stdin });
    case "silent":
      return new SilentOutput();
  }
}
