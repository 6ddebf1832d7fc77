/**
 * Every user-facing message of the supervisor (`nbresume run`), and its error codes. Tests assert
 * against these same functions, so wording changes in one place.
 */
import { formatCount, formatDuration } from "../shared/format.js";

export const SupervisorErrorCode = {
  /** The notebook file cannot be read. */
  NOTEBOOK_UNREADABLE: "SUPERVISOR_NOTEBOOK_UNREADABLE",
  /** The file is not an nbformat 4 notebook. */
  NOTEBOOK_INVALID: "SUPERVISOR_NOTEBOOK_INVALID",
  /** --param was given but no code cell is tagged "parameters". */
  NO_PARAMETERS_CELL: "SUPERVISOR_NO_PARAMETERS_CELL",
  /** A --param names a variable the parameters cell cannot take. */
  BAD_PARAMETER: "SUPERVISOR_BAD_PARAMETER",
  /** Nothing answers at the --server URL. */
  SERVER_UNREACHABLE: "SUPERVISOR_SERVER_UNREACHABLE",
  /** The server refused the token. */
  SERVER_AUTH_FAILED: "SUPERVISOR_SERVER_AUTH_FAILED",
  /** Something answers at the URL, but not as a Jupyter server. */
  NOT_JUPYTER: "SUPERVISOR_NOT_JUPYTER",
  /** No `jupyter server` could be started here. */
  NO_JUPYTER_SERVER: "SUPERVISOR_NO_JUPYTER_SERVER",
  /** The server has no kernel of that name. */
  KERNEL_NOT_INSTALLED: "SUPERVISOR_KERNEL_NOT_INSTALLED",
  /** The server refused to start a session. */
  SESSION_FAILED: "SUPERVISOR_SESSION_FAILED",
  /** The --server stopped answering and did not come back. */
  SERVER_LOST: "SUPERVISOR_SERVER_LOST",
} as const;

export type SupervisorErrorCodeValue = (typeof SupervisorErrorCode)[keyof typeof SupervisorErrorCode];

function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/**
 * How a cell is named in messages: "cell 4 of 7 (`await run.train();`)". Every cell number the
 * supervisor shows or records counts the code cells of the executed notebook from 1, the injected
 * parameters cell included: the `[4/7]` line, the executed notebook's `metadata.nbresume.run`, and
 * a fresh kernel's execution count (`In [4]`) agree. `position` is 0-based.
 */
export function cellName(position: number, count: number, headline: string): string {
  return `cell ${position + 1} of ${count} (\`${headline}\`)`;
}

export const supervisorMessages = {
  // ── the notebook and its parameters ────────────────────────────────────────────────────────
  notebookUnreadable(path: string, code: string): string {
    return code === "ENOENT" ? `${path} does not exist.` : `cannot read ${path} (${code}).`;
  },
  notebookNotJson(path: string, detail: string): string {
    return `${path} is not a notebook: it is not JSON (${detail}).`;
  },
  notebookInvalid(path: string, what: string): string {
    return `${path} is not a notebook nbresume run can execute: ${what}.`;
  },
  noParametersCell(path: string, names: readonly string[]): string {
    return (
      `--param ${names.join(", ")}: ${path} has no code cell tagged "parameters". Tag the cell that sets the defaults ` +
      `(let steps = …;) with "parameters" (JupyterLab: the property inspector's cell tags), as papermill expects.`
    );
  },
  parameterNotDeclared(name: string, cellNumber: number, declared: readonly string[]): string {
    const known = declared.length === 0 ? "declares no variables" : `declares ${declared.join(", ")}`;
    return `--param ${name}: the parameters cell (cell ${cellNumber}) ${known}; declare it there (let ${name} = …;) to make it a parameter.`;
  },
  parameterIsConst(name: string, cellNumber: number): string {
    return `--param ${name}: the parameters cell (cell ${cellNumber}) declares ${name} with const, which cannot be overridden; declare it with let.`;
  },
  badParameter(text: string): string {
    return `--param expects key=value with key a variable name (steps=500, dir=runs/long), got '${text}'.`;
  },
  injectedCellComment(): string {
    return "// Parameters injected by nbresume run (--param)";
  },
  /** The injected cell's last line: a last expression whose value is undefined, so the kernel shows nothing. */
  injectedCellQuiet(): string {
    return "void 0; // no output (the kernel would print the last value assigned)";
  },

  // ── the server ─────────────────────────────────────────────────────────────────────────────
  serverUnreachable(url: string, detail: string): string {
    return `cannot reach a Jupyter server at ${url} (${detail}). Check the URL and that the server runs, or leave out --server to let nbresume run start one.`;
  },
  serverAuthFailed(url: string, status: number): string {
    return `the Jupyter server at ${url} refused the token (HTTP ${status}). Pass the token it printed at start (--token T; \`jupyter server list\` shows it).`;
  },
  notJupyter(url: string, what: string, status: number): string {
    return `${url} answered ${what} with HTTP ${status}, not as a Jupyter server does. Pass the server's base URL (http://host:port/ or the JupyterHub user URL).`;
  },
  ownServerFailed(failures: readonly string[]): string {
    const tried = failures.length === 0 ? "no `jupyter` executable was found" : failures.map((f) => `  ${f.split("\n").join("\n  ")}`).join("\n");
    return (
      `could not start a Jupyter server:\n${tried}\nInstall jupyter-server (Debian: apt install python3-jupyter-server; ` +
      `pip install jupyter-server), set JUPYTER_BIN to its jupyter, or pass --server URL --token T of a running one.`
    );
  },
  ownServerSlow(timeoutMs: number, log: string): string {
    return `jupyter server did not answer within ${seconds(timeoutMs)}:\n${log.trim().split("\n").slice(-6).join("\n")}`;
  },
  kernelNotInstalled(name: string, url: string, available: readonly string[], own: boolean): string {
    const has = `(it has: ${available.length === 0 ? "none" : available.join(", ")})`;
    const install =
      name === "nbresume"
        ? `Install it${own ? "" : " where that server runs"} with \`npx nbresume kernel install\`, or pass --kernel NAME.`
        : "Pass --kernel NAME.";
    return `${own ? "Jupyter here" : `The server at ${url}`} has no kernel '${name}' ${has}. ${install}`;
  },
  sessionFailed(path: string, kernel: string, reason: string): string {
    return `the server did not start a '${kernel}' session for ${path}: ${reason}.`;
  },
  serverGone(url: string, waitedMs: number): string {
    return `the Jupyter server at ${url} stopped answering and did not come back within ${seconds(waitedMs)}; the executed notebook holds the outputs so far.`;
  },

  // ── kernel losses (one line each) ──────────────────────────────────────────────────────────
  lossRestarted(): string {
    return "the kernel died and the server restarted it";
  },
  lossDead(): string {
    return "the kernel died and the server gave up restarting it";
  },
  lossGone(): string {
    return "the kernel is gone from the server";
  },
  lossUnreachable(): string {
    return "the Jupyter server stopped answering";
  },
  lossCancelled(detail: string): string {
    return `the kernel stopped answering (${detail})`;
  },
  lossServerExited(how: string): string {
    return `the Jupyter server died (${how})`;
  },
  lossSilent(silentMs: number): string {
    return `the kernel sent nothing for ${formatDuration(silentMs)} (--silent-timeout)`;
  },
  lossNotReady(detail: string): string {
    return `the kernel did not start: ${detail}`;
  },
  kernelNotReady(timeoutMs: number): string {
    return `it did not answer within ${seconds(timeoutMs)} (--start-timeout)`;
  },
  /** The training cell returned because the kernel got `signal` from someone else (a shutdown, a kill), not from the supervisor. */
  lossSignalled(signal: string, step: number, steps: number): string {
    return `the kernel got ${signal} (not from nbresume run: a shutdown or a kill?) and the training stopped at step ${formatCount(step)} of ${formatCount(steps)}`;
  },
  interruptFailed(status: number): string {
    return `the server refused the interrupt (HTTP ${status})`;
  },

  // ── what the supervisor says while it runs ─────────────────────────────────────────────────
  ownServerStarted(url: string, dir: string): string {
    return `Started a Jupyter server at ${url} for ${dir} (stopped on exit).`;
  },
  ownServerRestarted(url: string): string {
    return `Started the Jupyter server again at ${url}.`;
  },
  connected(url: string): string {
    return `Connected to the Jupyter server at ${url}.`;
  },
  notebookNotOnServer(name: string): string {
    return `The server does not serve this notebook's file: the kernel starts in the server's root folder (session ${name}), and the run's checkpoints are not read from here.`;
  },
  parametersInjected(names: readonly string[], cellNumber: number): string {
    return `Parameters ${names.join(", ")} injected after cell ${cellNumber} (tagged "parameters").`;
  },
  kernelStarted(name: string, pid: number | undefined): string {
    return `Kernel '${name}' ready${pid === undefined ? "" : ` (pid ${pid})`}.`;
  },
  cellStarted(position: number, count: number, headline: string): string {
    return `[${position + 1}/${count}] ${headline}`;
  },
  /** `reached`: the later of the newest checkpoint's step and the step the lost kernel's display showed. */
  crashed(where: string, detail: string, reached: number | undefined): string {
    return `Kernel lost ${where}: ${detail}${reached === undefined ? "" : ` (training was at step ${formatCount(reached)})`}.`;
  },
  whileStarting(): string {
    return "while it started";
  },
  duringCell(name: string): string {
    return `during ${name}`;
  },
  restarting(crash: number, maxRestarts: number): string {
    return `Restarting the kernel and running the notebook from the top (restart ${crash} of at most ${maxRestarts}).`;
  },
  restartingServer(): string {
    return "Restarting the Jupyter server (the kernel it left running is interrupted and stopped first).";
  },
  waitingForServer(url: string): string {
    return `Waiting for the Jupyter server at ${url} to answer again…`;
  },
  resumesFrom(step: number, name: string): string {
    return `The training resumes from step ${formatCount(step)} (${name}, the newest checkpoint that verifies).`;
  },
  progressUnreadable(dir: string, detail: string): string {
    return `Cannot read the run's checkpoints in ${dir} (${detail}): the steps reached are taken from the progress display, and a crash loop is judged without them.`;
  },
  runHeldWaiting(dir: string, pid: number, host: string, until: string, waitMs: number, name: string): string {
    return (
      `The run ${dir} is held by another writer (pid ${pid} on host ${host}) until ${until}: a writer that died is taken over then. ` +
      `Waiting ${seconds(waitMs)}, then running ${name} again (Ctrl-C stops).`
    );
  },
  resumesFromScratch(dir: string): string {
    return `No checkpoint in ${dir} yet: the training starts from step 0 again.`;
  },
  resumed(step: number, total: number | undefined, sinceLossMs: number): string {
    return `Training resumed at step ${formatCount(step)}${total === undefined ? "" : ` of ${formatCount(total)}`}, ${formatDuration(sinceLossMs)} after the kernel was lost.`;
  },
  crashNote(detail: string, action: string): string {
    return `\n[nbresume run] ${detail} — ${action}\n`;
  },
  crashNoteRestart(): string {
    return "restarting the kernel and running the notebook again";
  },
  crashNoteGiveUp(): string {
    return "giving up";
  },

  // ── how a run ends ─────────────────────────────────────────────────────────────────────────
  gaveUpMaxRestarts(crashes: number, maxRestarts: number, where: string, detail: string): string {
    return `Giving up: the kernel was lost ${plural(crashes, "time")}, more than --max-restarts ${maxRestarts} allows. Last: ${where}: ${detail}.`;
  },
  gaveUpCrashLoop(where: string, detail: string): string {
    return (
      `Giving up: the kernel was lost twice in a row without any training progress (a crash loop). Last: ${where}: ${detail}. ` +
      `Run the notebook in JupyterLab to see why (out of memory? a native crash in that cell?).`
    );
  },
  cellFailed(name: string): string {
    return `Stopped: ${name} raised an error (not a crash: the kernel is fine, so it is not restarted). Fix the cell and run again; the training resumes from its checkpoint.`;
  },
  /** The error as the kernel showed it, without its stack frames (the cell's output above has them). */
  cellErrorText(text: string): string {
    const lines = text.trimEnd().split("\n");
    const frame = lines.findIndex((l) => /^\s+at /.test(l));
    const head = (frame < 0 ? lines : lines.slice(0, frame)).slice(0, 12).join("\n").trim();
    return head === "" ? "(the kernel sent no error text)" : head;
  },
  /** A training cell refused because another writer holds the run (CHECKPOINT_LOCKED): not a bug in the cell. */
  runHeld(name: string, dir: string | undefined, holder: { pid: number; host: string; until: string } | undefined, waited: boolean): string {
    const run = dir === undefined ? "the run's checkpoint directory" : dir;
    const who = holder === undefined ? "another writer (named above)" : `another writer (pid ${holder.pid} on host ${holder.host}, until ${holder.until})`;
    return (
      `Stopped: ${name} cannot write ${run}: it is ${waited ? "still " : ""}held by ${who}. ` +
      `Stop that process or wait for it to end, or give the run another dir; then run the same command again.`
    );
  },
  stopping(signal: string, waitMs: number): string {
    return `${signal}: interrupting the kernel (the training commits an emergency checkpoint), waiting up to ${seconds(waitMs)} for the cell to end. ${signal === "SIGINT" ? "Ctrl-C again" : "The signal again"} stops at once.`;
  },
  stoppedAtOnce(signal: string): string {
    return `${signal} again: stopping at once (the kernel is killed; the newest committed checkpoint is the resume point).`;
  },
  stopTimedOut(waitMs: number): string {
    return `The cell did not end within ${seconds(waitMs)} of the interrupt: shutting the kernel down.`;
  },
  stopped(signal: string, out: string): string {
    return `Stopped by ${signal}. Executed notebook: ${out}. Run the same command again to resume.`;
  },
  finished(cells: number, restarts: number, out: string, elapsedMs: number): string {
    const r = restarts === 0 ? "" : ` through ${plural(restarts, "kernel restart")}`;
    return `Finished: ${plural(cells, "cell")} ran in ${formatDuration(elapsedMs)}${r}. Executed notebook: ${out}.`;
  },
  executedAt(out: string): string {
    return `Executed notebook (outputs so far): ${out}.`;
  },
  writeFailed(out: string, detail: string): string {
    return `could not write the executed notebook ${out}: ${detail}.`;
  },

  strayError(detail: string): string {
    return `An error nobody waited for (the Jupyter client's, most likely) was ignored, so the run goes on: ${detail}. Run with --debug to report it.`;
  },

  // ── terminal rendering of cell outputs ─────────────────────────────────────────────────────
  /** The last line of a long text output printed in a terminal. */
  moreLines(count: number): string {
    return `… ${count} more line${count === 1 ? "" : "s"} (in the executed notebook)`;
  },
  displayNote(kind: string, caption: string): string {
    return `[${kind}]${caption === "" ? "" : ` ${caption}`}`;
  },
};

/** Exit codes of `nbresume run`. */
export const SupervisorExit = {
  FINISHED: 0,
  /** A cell raised an ordinary error, or the server could not be used. */
  FAILED: 1,
  /** The kernel kept dying: --max-restarts exceeded, or a crash loop. */
  GAVE_UP: 3,
  SIGINT: 130,
  SIGTERM: 143,
} as const;
