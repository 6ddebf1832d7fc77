/**
 * The one owner of this process's SIGINT/SIGTERM/SIGHUP listeners while nbresume runs are active.
 *
 * Why a hub instead of a plain process.on per run (all measured in a tslab kernel):
 * - tslab's own SIGINT listener ends the running cell at once ("Interrupted asynchronously"). Any
 *   output sent after that (the emergency-checkpoint message) is dropped by JupyterLab, the classic
 *   notebook and nbconvert alike. So while a run is active the hub takes the other listeners off,
 *   and hands the signal on to them only after every run it stopped has ended: the cell then ends
 *   after "emergency checkpoint saved" is printed, and still ends as interrupted (so "Run all" stops).
 * - A second signal while runs are still stopping is handed on at once to the other listeners (in a
 *   kernel, tslab ends the cell): the user's way out of a step that takes too long.
 * - With no other listener (a plain script or the CLI), handing on means re-raising the signal with
 *   the default action, so the process still dies of SIGINT/SIGTERM/SIGHUP as the sender meant. A
 *   second signal while the runs save their emergency checkpoints only says so on stderr ("saving —
 *   press Ctrl-C again to abort"): two Ctrl-Cs 50 ms apart used to kill the demo at once, with no
 *   checkpoint and no word. A third one aborts.
 * - SIGHUP (the terminal went away) stops runs like SIGINT: save, then exit.
 * - Node's vm `breakOnSigint` (tslab runs every cell with it) removes all SIGINT listeners during
 *   the synchronous part of a cell and re-adds them afterwards; adding a SIGINT listener in that
 *   window leaves Node's watchdog "exit on SIGINT" handler installed, and the next interrupt kills
 *   the kernel. So listeners are only ever added or removed outside that window.
 */
import { processWide } from "../shared/process-wide.js";

export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

export const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** What a plain process prints on stderr when a stop signal comes again while runs are saving. */
export const signalNotices = {
  savingPressAgain(sig: StopSignal): string {
    const again = sig === "SIGINT" ? "press Ctrl-C again" : `send ${sig} again`;
    return `nbresume: ${sig} again — saving the emergency checkpoint; ${again} to abort without it.`;
  },
} as const;

/** One active run's interest in signals. */
export interface SignalSubscriber {
  readonly signals: ReadonlySet<StopSignal>;
  /** Called once, on the first signal it listens for. */
  onSignal(signal: StopSignal): void;
}

type Listener = (...args: unknown[]) => void;

interface Attachment {
  readonly listener: Listener;
  /** Listeners that were on the process before the hub attached, held back while it is attached. */
  readonly foreign: Listener[];
}

class SignalHub {
  private readonly subscribers = new Set<SignalSubscriber>();
  private readonly attached = new Map<StopSignal, Attachment>();
  /** Per signal: subscribers it stopped that have not ended yet. */
  private readonly stopping = new Map<StopSignal, Set<SignalSubscriber>>();
  /** Per signal: repeats seen while runs were stopping (a plain process says so once, then aborts). */
  private readonly repeats = new Map<StopSignal, number>();

  subscribe(sub: SignalSubscriber): void {
    this.subscribers.add(sub);
    for (const sig of sub.signals) this.reconcile(sig);
  }

  unsubscribe(sub: SignalSubscriber): void {
    if (!this.subscribers.delete(sub)) return;
    for (const sig of sub.signals) {
      const set = this.stopping.get(sig);
      const lastToStop = set !== undefined && set.delete(sub) && set.size === 0;
      if (lastToStop) {
        this.stopping.delete(sig);
        this.repeats.delete(sig);
      }
      const foreign = this.attached.get(sig)?.foreign ?? [];
      // Foreign listeners go back on (or the default action returns) before the signal is handed on.
      const settled = this.reconcile(sig);
      if (!lastToStop) continue;
      if (settled) this.handOn(sig, foreign);
      else setImmediate(() => this.handOn(sig, foreign));
    }
  }

  private wanted(sig: StopSignal): boolean {
    for (const s of this.subscribers) if (s.signals.has(sig)) return true;
    return false;
  }

  /**
   * Makes the process's listeners match the subscribers. Returns false when it had to wait
   * (inside a breakOnSigint section) and will finish on the next turn of the event loop.
   */
  private reconcile(sig: StopSignal, onLaterTurn = false): boolean {
    const att = this.attached.get(sig);
    const want = this.wanted(sig);
    if (want === (att !== undefined)) return true;
    if (!onLaterTurn && att !== undefined && sig === "SIGINT" && !process.rawListeners(sig).includes(att.listener)) {
      // Our listener is missing while vm breakOnSigint has taken every SIGINT listener off; a later
      // turn of the event loop is outside that window (if it is still missing then, someone removed it).
      setImmediate(() => this.reconcile(sig, true));
      return false;
    }
    if (want) this.attach(sig);
    else if (att !== undefined) this.detach(sig, att);
    return true;
  }

  private attach(sig: StopSignal): void {
    const listener: Listener = () => this.onProcessSignal(sig);
    const foreign = process.rawListeners(sig) as Listener[];
    // Ours goes on before the others come off, so the count never drops to zero: at zero Node
    // restores the default action and a signal in between would kill the process.
    process.on(sig, listener);
    for (const l of foreign) process.removeListener(sig, l);
    this.attached.set(sig, { listener, foreign });
  }

  private detach(sig: StopSignal, att: Attachment): void {
    for (const l of att.foreign) process.on(sig, l);
    process.removeListener(sig, att.listener);
    this.attached.delete(sig);
  }

  private onProcessSignal(sig: StopSignal): void {
    const pending = this.stopping.get(sig);
    if (pending !== undefined && pending.size > 0) {
      // Runs are still stopping from an earlier signal: the user insists.
      const foreign = this.attached.get(sig)?.foreign ?? [];
      const repeat = (this.repeats.get(sig) ?? 0) + 1;
      this.repeats.set(sig, repeat);
      if (foreign.length === 0 && repeat === 1) {
        // A plain process would die now, without its emergency checkpoint: say so, abort on the next one.
        process.stderr.write(`${signalNotices.savingPressAgain(sig)}\n`);
        return;
      }
      this.handOn(sig, foreign, true);
      return;
    }
    const targets = [...this.subscribers].filter((s) => s.signals.has(sig));
    if (targets.length === 0) {
      this.handOn(sig, this.attached.get(sig)?.foreign ?? []);
      return;
    }
    this.stopping.set(sig, new Set(targets));
    for (const s of targets) s.onSignal(sig);
  }

  /**
   * Passes a signal on to the listeners the hub holds back, or, with none, to the default action.
   * `insist`: the user signalled again while runs were stopping, so the default action (death)
   * happens now even though runs are still active.
   */
  private handOn(sig: StopSignal, foreign: readonly Listener[], insist = false): void {
    if (foreign.length > 0) {
      for (const l of foreign) l(sig);
      return;
    }
    const reraise = (): void => {
      const att = this.attached.get(sig);
      if (att !== undefined) {
        process.removeListener(sig, att.listener);
        this.attached.delete(sig);
      }
      process.kill(process.pid, sig);
    };
    if (insist) {
      reraise();
      return;
    }
    // On the next turn, so the code that ended the run (a finally block, a last log line) completes
    // first. A run started meanwhile is stopped like the others before the signal goes on.
    setImmediate(() => {
      if (this.wanted(sig)) this.onProcessSignal(sig);
      else reraise();
    });
  }
}

export function signalHub(): SignalHub {
  return processWide("signalHub.v1", () => new SignalHub());
}

export type { SignalHub };
