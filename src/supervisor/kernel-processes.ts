/**
 * The kernel processes of the supervisor's own Jupyter server, found by their command line: every
 * kernel is started with its connection file as an argument, and that file lives in the server's
 * private runtime directory. They matter when the server dies: jupyter_client starts kernels in
 * sessions of their own, so a SIGKILLed server leaves its kernel training on, holding the run's
 * checkpoint lock. Linux /proc only; elsewhere nothing is found.
 */
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** Pids whose command line contains `part` (this process excluded). */
export function pidsWithArgument(part: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${entry}/cmdline`, "utf8")
          .split("\0")
          .some((arg) => arg.includes(part))
      )
        pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Whether `pid` runs (a zombie does not). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return process.platform !== "linux";
  }
}

/** CPU ticks used so far by all of a process's threads, and whether any thread runs or waits on the disk. */
function activity(pid: number): { ticks: number; busy: boolean } | undefined {
  try {
    let ticks = 0;
    let busy = false;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
      // pid (comm) state ppid … utime(14) stime(15): comm may hold spaces, so count from its ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "R" || fields[0] === "D") busy = true;
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return { ticks, busy };
  } catch {
    return undefined;
  }
}

/**
 * Waits until a process is quiet — no thread running or in disk sleep, and no CPU time used, for
 * `quietMs` — or gone, or `timeoutMs` passed. An interrupted training cell is quiet once its
 * emergency checkpoint is written and fsync'd (a thread in fsync is in disk sleep: not quiet).
 */
export async function waitQuiet(pid: number, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = activity(pid);
  let quietSince = Date.now();
  while (last !== undefined && isRunning(pid) && Date.now() < deadline) {
    await sleep(100);
    const now = activity(pid);
    if (now === undefined) return;
    if (now.busy || now.ticks !== last.ticks) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    last = now;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stops kernel processes nobody can talk to any more (their server died): a SIGINT first — the
 * kernel interrupt, on which an nbresume training cell commits its emergency checkpoint whatever
 * signal the cell passed to train() — then, once each is quiet (or after `graceMs`), SIGKILL.
 * Resolves once none runs.
 */
export async function stopProcesses(pids: readonly number[], graceMs: number): Promise<void> {
  for (const pid of pids) signal(pid, "SIGINT");
  await Promise.all(pids.map((pid) => waitQuiet(pid, 1_000, graceMs)));
  for (const pid of pids) signal(pid, "SIGKILL");
  const deadline = Date.now() + 5_000;
  while (pids.some(isRunning) && Date.now() < deadline) await sleep(20);
}
