/**
 * The supervisor: runs a notebook on a Jupyter server and keeps it going through kernel crashes,
 * so a training cell written with resumable() resumes from its newest checkpoint with nobody there.
 *
 *   1 read the notebook ─► inject --param after the "parameters" cell
 *   2 server: start our own (127.0.0.1, random port and token) │ --server: check URL, token, kernel
 *   3 attempt: a kernel (new session, or the one the server restarted) ─► ready
 *   4   cells in order, outputs into the executed notebook and to the reporter
 *         ok ─► next cell, unless the run's summary.json says a signal nobody here sent stopped
 *               the training (a shutdown, a kill): then as a lost kernel ─► 5
 *         error ─► stop, name the cell (exit 1): a bug, not a crash
 *               ─ but "held by another writer" (CHECKPOINT_LOCKED) of a bucket run: wait for the
 *                 lease to expire (a writer that died leaves it), run the cell again, once
 *         stop request ─► interrupt (emergency checkpoint), wait, stop (exit 130/143)
 *         kernel lost ─► 5
 *   5 crash policy: give up (exit 3) │ restart: note where the training resumes ─► 3
 *   6 write the executed notebook, shut the kernel down, stop our server
 */
import { hostname } from "node:os";
import { basename, dirname, extname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isUrlLocation, normalizeLocation } from "../checkpoint/storage/location.js";
import { NbresumeError } from "../errors.js";
import { runMessages } from "../run/messages.js";
import { CellOutputs } from "./cell-outputs.js";
import { executeCell } from "./cell-executor.js";
import { CrashPolicy } from "./crash-policy.js";
import { ExecutedNotebook } from "./executed-notebook.js";
import { KernelLostError, type IOPubMessage, type KernelLoss, type KernelSession } from "./jupyter.js";
import { openKernelHost } from "./kernel-host.js";
import { cellName, SupervisorErrorCode, SupervisorExit, supervisorMessages as msg } from "./messages.js";
import { cellHeadline, cellSource, notebookKernelName, readNotebook, type NotebookCell } from "./notebook-file.js";
import { injectParameters, stringParameter } from "./parameters.js";
import { parseProgress, type DisplayedProgress } from "./progress-text.js";
import { silentReporter } from "./reporter.js";
import { isHeldByAnotherWriter, readRunHolder } from "./run-holder.js";
import { StopController, type StopSignal } from "./stop-signals.js";
import { SUPERVISOR_DEFAULTS, type SupervisorOptions, type SupervisorResult, type TimelineEvent } from "./supervisor-options.js";
import { TrainingProgress } from "./training-progress.js";

/** NAME.executed.ipynb beside the notebook. */
export function defaultOutPath(notebook: string): string {
  const ext = extname(notebook);
  return join(dirname(notebook), `${basename(notebook, ext)}.executed${ext === "" ? ".ipynb" : ext}`);
}

/** The live progress a display message shows, if it is a run's progress display. */
function displayedProgress(message: IOPubMessage): DisplayedProgress | undefined {
  if (message.msgType !== "update_display_data" && message.msgType !== "display_data") return undefined;
  const data = message.content["data"];
  const plain = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["text/plain"] : undefined;
  return typeof plain === "string" ? parseProgress(plain) : undefined;
}

// eslint-disable-next-line no-control-regex -- matches ANSI escape sequences, which start with ESC
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The signals that stop a training with an emergency checkpoint (src/notebook/interrupt.ts). */
const TRAINING_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/** Past a lease's expiry, before running the cell again: the holder's clock and ours may differ a little. */
const LEASE_MARGIN_MS = 2_000;

/** The error text a message put on the terminal (stderr, or an error message's name, value and traceback). */
function shownErrorText(message: IOPubMessage): string {
  const c = message.content;
  if (message.msgType === "stream") return c["name"] === "stderr" && typeof c["text"] === "string" ? c["text"] : "";
  if (message.msgType !== "error") return "";
  const traceback = Array.isArray(c["traceback"]) ? c["traceback"].map(String).join("\n") : "";
  const text = (key: string): string => {
    const value = c[key];
    return typeof value === "string" ? value : "";
  };
  return `${text("ename")}: ${text("evalue")}\n${traceback}`.replace(ANSI, "");
}

/** A kernel that did not become ready, as a loss. */
function lossOf(error: unknown): KernelLoss {
  if (error instanceof KernelLostError) return error.loss;
  return { kind: "dead", at: Date.now(), detail: msg.lossNotReady(error instanceof Error ? error.message : String(error)) };
}

type Ending =
  | { readonly status: "finished" }
  | { readonly status: "cell-error"; readonly cell: number; readonly error: string }
  | { readonly status: "gave-up"; readonly cell: number | undefined; readonly error: string }
  | { readonly status: "stopped"; readonly signal: StopSignal };

export async function superviseNotebook(options: SupervisorOptions): Promise<SupervisorResult> {
  const startedAt = Date.now();
  const notebookPath = resolve(options.notebook);
  const out = resolve(options.out ?? defaultOutPath(notebookPath));
  const reporter = options.reporter ?? silentReporter;
  const stop = options.stop ?? new StopController();
  const maxRestarts = options.maxRestarts ?? SUPERVISOR_DEFAULTS.maxRestarts;
  const startTimeoutMs = options.startTimeoutMs ?? SUPERVISOR_DEFAULTS.startTimeoutMs;
  const stopTimeoutMs = options.stopTimeoutMs ?? SUPERVISOR_DEFAULTS.stopTimeoutMs;
  const silentTimeoutMs = options.silentTimeoutMs ?? SUPERVISOR_DEFAULTS.silentTimeoutMs;
  const leaseWaitMs = options.leaseWaitMs ?? SUPERVISOR_DEFAULTS.leaseWaitMs;
  const timeline: TimelineEvent[] = [];
  const mark = (what: TimelineEvent["what"], cell?: number, at = Date.now(), pid?: number): void => {
    const event: TimelineEvent = { at, what, ...(cell === undefined ? {} : { cell }), ...(pid === undefined ? {} : { pid }) };
    timeline.push(event);
    options.onTimeline?.(event);
  };

  // ── 1. the notebook and its parameters ──
  const source = readNotebook(notebookPath);
  const injection = injectParameters(source, options.parameters ?? [], notebookPath);
  const kernelName = options.kernel ?? notebookKernelName(source) ?? SUPERVISOR_DEFAULTS.kernel;
  const parameters = Object.fromEntries(injection.parameters.map((p) => [p.name, p.value]));
  const executed = new ExecutedNotebook(injection.notebook, out, { kernel: kernelName, parameters });
  const codeCells = executed.codeCells();
  const cellAt = (index: number): NotebookCell => injection.notebook.cells[index] as NotebookCell;
  const nameOf = (position: number): string => cellName(position, codeCells.length, cellHeadline(cellAt(codeCells[position] as number)));
  if (injection.injectedCell !== undefined && injection.parametersCell !== undefined) {
    reporter.event(
      msg.parametersInjected(
        injection.parameters.map((p) => p.name),
        codeCells.indexOf(injection.parametersCell) + 1,
      ),
      "info",
    );
  }
  let writeWarned = false;
  const write = (force: boolean): void => {
    try {
      if (force) executed.write();
      else executed.writeIfDue();
    } catch (error) {
      if (!writeWarned || force) reporter.event(msg.writeFailed(out, error instanceof Error ? error.message : String(error)), "warn");
      writeWarned = true;
    }
  };

  // ── 2. the server ──
  const host = await openKernelHost({
    notebookPath,
    kernelName,
    startTimeoutMs,
    ...(options.server === undefined ? {} : { server: options.server }),
    ...(options.env === undefined ? {} : { env: options.env }),
    event: (text, level) => reporter.event(text, level),
  });
  const runDir = stringParameter(injection, "dir");
  // A bucket is the same bucket from here; a directory path is the kernel's, relative to where it runs.
  const runLocation =
    runDir === undefined
      ? undefined
      : isUrlLocation(runDir)
        ? normalizeLocation(runDir)
        : host.kernelCwd !== undefined
          ? resolve(host.kernelCwd, runDir)
          : undefined;
  const progress = new TrainingProgress(runLocation, (text) => reporter.event(text, "warn"));
  /** The end of the newest train() whose summary was seen already: a summary is news once. */
  let summarySeen = runLocation === undefined ? undefined : (await progress.summary())?.endedAt;

  /** The loss detail when the summary a cell's train() just wrote says a signal stopped it, and the supervisor sent none. */
  const signalledStop = async (cellStartedAt: number): Promise<string | undefined> => {
    if (stop.requested !== undefined) return undefined;
    const summary = await progress.summary();
    if (summary === undefined || summary.endedAt === summarySeen || summary.endedAt < cellStartedAt - 1_000) return undefined;
    summarySeen = summary.endedAt;
    if (summary.status !== "interrupted") return undefined;
    const signal = TRAINING_SIGNALS.find((s) => summary.stopReason === s || summary.stoppedBecause === runMessages.stoppedBecause.interrupted(s));
    return signal === undefined ? undefined : msg.lossSignalled(signal, summary.step, summary.steps);
  };

  /**
   * A training cell refused because another writer holds the run: wait for its lease to expire
   * (once per cell and kernel; not past leaseWaitMs), or say who holds it and stop. "own": the
   * kernel holds the lease itself (the notebook opened the run twice), an ordinary cell error.
   */
  const runHeld = async (position: number, kernelPid: number | undefined, waited: boolean): Promise<"rerun" | "held" | "own" | StopSignal> => {
    const holder = runLocation === undefined ? undefined : await readRunHolder(runLocation).catch(() => undefined);
    if (holder !== undefined && !holder.released && holder.pid === kernelPid && holder.hostname === hostname()) return "own";
    const until = holder === undefined ? undefined : new Date(holder.expiresAt).toISOString();
    const waitMs = holder === undefined ? Number.POSITIVE_INFINITY : Math.max(0, holder.expiresAt - Date.now()) + LEASE_MARGIN_MS;
    if (!waited && holder !== undefined && until !== undefined && runLocation !== undefined && waitMs <= leaseWaitMs) {
      reporter.event(msg.runHeldWaiting(runLocation, holder.pid, holder.hostname, until, waitMs, nameOf(position)), "warn");
      const cancel = new AbortController();
      const over = await Promise.race([sleep(waitMs, "waited" as const, { signal: cancel.signal }), stop.graceful]);
      cancel.abort();
      return over === "waited" ? "rerun" : over;
    }
    reporter.event(
      msg.runHeld(nameOf(position), runLocation, holder && until !== undefined ? { pid: holder.pid, host: holder.hostname, until } : undefined, waited),
      "error",
    );
    return "held";
  };
  const policy = new CrashPolicy(maxRestarts);
  let session: KernelSession | undefined;

  const attempts = async (): Promise<Ending> => {
    /** A kernel the server restarted by itself: reconnect to it instead of starting another. */
    let revive: KernelSession | undefined;
    /** The loss this attempt recovers from, until the training is seen running again. */
    let recovering: { loss: KernelLoss; from: number | undefined } | undefined;
    for (;;) {
      if (stop.requested !== undefined) return { status: "stopped", signal: stop.requested };
      const markAtStart = await progress.mark();
      progress.newKernel();
      let loss: KernelLoss | undefined;
      let where = msg.whileStarting();
      /** The lost cell's position among the code cells (0-based), and its outputs. */
      let lost: { position: number; outputs: CellOutputs } | undefined;

      // ── 3. a ready kernel ──
      try {
        session = revive !== undefined ? await host.reconnect(revive) : await host.startSession();
        revive = undefined;
        // Never rejects: whatever wins the race, a later failure of the others is no one's news.
        const readiness = session.waitReady(startTimeoutMs).then(
          () => undefined,
          (error: unknown) => lossOf(error),
        );
        const ready = await Promise.race([readiness, host.serverLost(), stop.graceful]);
        if (typeof ready === "string") return { status: "stopped", signal: ready };
        loss = ready;
      } catch (error) {
        // A server that stopped answering as the session started is recovered like any other loss.
        if (error instanceof NbresumeError && error.code !== SupervisorErrorCode.SERVER_UNREACHABLE) throw error;
        loss = error instanceof NbresumeError ? { kind: "unreachable", at: Date.now(), detail: msg.lossUnreachable() } : lossOf(error);
      }

      // ── 4. the cells, in order ──
      if (loss === undefined && session !== undefined) {
        const pid = host.kernelPid(session.kernelId);
        mark("kernel-ready", undefined, Date.now(), pid);
        reporter.event(msg.kernelStarted(kernelName, pid), "info");
        /** Cells run again after waiting for another writer's lease, in this kernel. */
        const waitedFor = new Set<number>();
        for (let position = 0; position < codeCells.length; position++) {
          if (stop.requested !== undefined) return { status: "stopped", signal: stop.requested };
          const index = codeCells[position] as number;
          const cell = cellAt(index);
          reporter.cellStarted(position, codeCells.length, cellHeadline(cell));
          mark("cell-started", position + 1);
          const outputs = new CellOutputs();
          executed.setCell(index, [], null);
          const cellStartedAt = Date.now();
          let errorShown = "";
          const outcome = await executeCell({
            kernel: session,
            code: cellSource(cell),
            outputs,
            stop,
            silentTimeoutMs,
            stopTimeoutMs,
            serverLost: host.serverLost(),
            onMessage: (message) => {
              const shown = displayedProgress(message);
              if (shown !== undefined) {
                progress.see(shown);
                if (recovering !== undefined) {
                  mark("resumed", position + 1);
                  reporter.event(msg.resumed(recovering.from ?? shown.resumedAt ?? shown.step, shown.total, Date.now() - recovering.loss.at), "info");
                  recovering = undefined;
                }
              }
              reporter.output(message, shown);
              errorShown += shownErrorText(message);
              executed.setCell(index, outputs.list(), outputs.executionCount);
              write(false);
            },
            onStopping: (signal) => reporter.event(msg.stopping(signal, stopTimeoutMs), "warn"),
          });
          reporter.cellEnded();
          mark("cell-ended", position + 1);
          executed.setCell(index, outputs.list(), outputs.executionCount);
          if (outcome.kind === "ok") {
            const signalled = await signalledStop(cellStartedAt);
            if (signalled === undefined) continue;
            loss = { kind: "dead", at: Date.now(), detail: signalled };
            where = msg.duringCell(nameOf(position));
            lost = { position, outputs };
            break;
          }
          if (outcome.kind === "error") {
            if (isHeldByAnotherWriter(outcome.text)) {
              const held = await runHeld(position, pid, waitedFor.has(position));
              if (held === "rerun") {
                waitedFor.add(position);
                position--;
                continue;
              }
              if (held === "held") return { status: "cell-error", cell: position + 1, error: outcome.text };
              if (held !== "own") return { status: "stopped", signal: held };
            }
            reporter.event(msg.cellFailed(nameOf(position)), "error");
            // The kernel's own error output is on the terminal already: said again only when it sent none.
            const text = msg.cellErrorText(outcome.text);
            if (!errorShown.includes(text.split("\n")[0] ?? text)) reporter.event(text, "error");
            return { status: "cell-error", cell: position + 1, error: outcome.text };
          }
          if (outcome.kind === "stopped") {
            if (outcome.timedOut) reporter.event(msg.stopTimedOut(stopTimeoutMs), "warn");
            return { status: "stopped", signal: outcome.signal };
          }
          loss = outcome.loss;
          where = msg.duringCell(nameOf(position));
          lost = { position, outputs };
          break;
        }
        if (loss === undefined) return { status: "finished" };
      }
      if (loss === undefined) throw new Error("no kernel session and no loss"); // unreachable: startSession either returns or throws

      // ── 5. a lost kernel: restart or give up ──
      // A server that stops answering may be our own server gone: its exit says more, if it comes.
      if (loss.kind === "unreachable") loss = await Promise.race([host.serverLost(), sleep(1_000).then(() => loss as KernelLoss)]);
      const lostCell = lost === undefined ? undefined : lost.position + 1;
      mark("kernel-lost", lostCell, loss.at);
      reporter.event(msg.crashed(where, loss.detail, await progress.reached()), "warn");
      const decision = policy.record({ progressed: (await progress.mark()) > markAtStart });
      const giveUp = decision.action === "give-up";
      if (lost !== undefined) {
        lost.outputs.stream("stderr", msg.crashNote(loss.detail, giveUp ? msg.crashNoteGiveUp() : msg.crashNoteRestart()));
        executed.setCell(codeCells[lost.position] as number, lost.outputs.list(), lost.outputs.executionCount);
      }
      if (giveUp) {
        const text =
          decision.why === "max-restarts" ? msg.gaveUpMaxRestarts(policy.count, maxRestarts, where, loss.detail) : msg.gaveUpCrashLoop(where, loss.detail);
        reporter.event(text, "error");
        return { status: "gave-up", cell: lostCell, error: text };
      }
      const lostSession: KernelSession | undefined = session;
      session = undefined;
      if (loss.kind === "restarted" && lostSession !== undefined) revive = lostSession;
      else if (loss.kind === "unreachable") {
        lostSession?.dispose();
        await host.recover();
        await lostSession?.shutdown(10_000);
      } else await lostSession?.shutdown(10_000);
      const resumesFrom = await progress.newestCheckpoint();
      executed.recordRestart({
        at: new Date(loss.at).toISOString(),
        cell: lostCell ?? null,
        reason: loss.detail,
        resumedFrom: resumesFrom?.step ?? null,
        checkpoint: resumesFrom?.name ?? null,
      });
      write(true);
      reporter.event(msg.restarting(policy.count, maxRestarts), "warn");
      if (resumesFrom !== undefined) reporter.event(msg.resumesFrom(resumesFrom.step, resumesFrom.name), "info");
      else if (progress.runDir !== undefined) reporter.event(msg.resumesFromScratch(progress.runDir), "info");
      recovering = { loss, from: resumesFrom?.step };
    }
  };

  // ── 6. the end: executed notebook, kernel, server ──
  let ending: Ending;
  const running = attempts();
  running.catch(() => undefined); // a second Ctrl-C may leave it behind; its failure is not news then
  try {
    ending = await Promise.race([running, stop.immediate.then((signal): Ending => ({ status: "stopped", signal: stop.requested ?? signal }))]);
  } catch (error) {
    await session?.shutdown(5_000);
    await host.close(10_000);
    throw error;
  }
  const atOnce = stop.atOnce !== undefined;
  if (atOnce) {
    reporter.event(msg.stoppedAtOnce(stop.atOnce), "error");
    await host.killKernels();
  }
  executed.finish(ending.status);
  write(true);
  await session?.shutdown(atOnce ? 2_000 : 10_000);
  await host.close(atOnce ? 1_000 : 10_000);

  const base = { out, restarts: executed.restartRecords, timeline };
  switch (ending.status) {
    case "finished":
      reporter.event(msg.finished(codeCells.length, policy.count, out, Date.now() - startedAt), "info");
      return { ...base, status: "finished", exitCode: SupervisorExit.FINISHED };
    case "cell-error":
      reporter.event(msg.executedAt(out), "info");
      return { ...base, status: "cell-error", exitCode: SupervisorExit.FAILED, cell: ending.cell, error: ending.error };
    case "gave-up":
      reporter.event(msg.executedAt(out), "info");
      return { ...base, status: "gave-up", exitCode: SupervisorExit.GAVE_UP, ...(ending.cell === undefined ? {} : { cell: ending.cell }), error: ending.error };
    case "stopped":
      reporter.event(msg.stopped(ending.signal, out), "warn");
      return { ...base, status: "stopped", exitCode: ending.signal === "SIGINT" ? SupervisorExit.SIGINT : SupervisorExit.SIGTERM, signal: ending.signal };
  }
}
