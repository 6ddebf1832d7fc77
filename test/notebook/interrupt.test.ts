/**
 * Cooperative interrupts outside a kernel: real signals to real child processes, and the
 * exclusive-run registry in this process (no signals are sent to the mocha process itself).
 * The kernel side (tslab's own SIGINT listener, Jupyter interrupts) is in kernel.test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import vm from "node:vm";
import { isNbresumeError } from "../../src/errors.js";
import { interruptSignal, isRunActive, runExclusive, stopReason } from "../../src/notebook/interrupt.js";
import { notebookMessages as msg } from "../../src/notebook/messages.js";
import { signalNotices } from "../../src/notebook/signal-hub.js";
import { NotebookErrorCode } from "../../src/notebook/messages.js";
import { REPO_ROOT } from "../support/jupyter-server.js";
import { startWatchedChild, type WatchedChild } from "../support/watched-child.js";

const CHILD = join(REPO_ROOT, "test", "notebook", "fixtures", "interrupt-child.ts");

interface Child extends WatchedChild {
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

function startChild(mode: string): Child {
  const child = startWatchedChild(CHILD, [mode]);
  return {
    ...child,
    waitFor: (text, timeoutMs = 20_000) => child.waitUntil((out) => out.includes(text), `child never printed ${JSON.stringify(text)}`, timeoutMs),
  };
}

describe("cooperative interrupts in a plain Node process", function () {
  this.timeout(30_000);

  it("stops the loop on SIGINT, lets it finish its emergency save, then dies of SIGINT as the sender meant", async function () {
    const child = startChild("plain");
    await child.waitFor("tick 2");
    child.kill("SIGINT");
    const { code, signal } = await child.exited;
    assert.equal(signal, "SIGINT", `exit code ${code}; stdout:\n${child.stdout()}`);
    assert.match(child.stdout(), /stopped by SIGINT after \d+ steps\nrun returned\n$/);
  });

  it("treats SIGTERM the same way and dies of SIGTERM after the save", async function () {
    const child = startChild("plain");
    await child.waitFor("tick 2");
    child.kill("SIGTERM");
    const { signal } = await child.exited;
    assert.equal(signal, "SIGTERM");
    assert.match(child.stdout(), /stopped by SIGTERM after \d+ steps\n/);
  });

  it("holds back the process's own SIGINT listener (tslab's) until the run has stopped, then calls it once", async function () {
    const child = startChild("foreign");
    await child.waitFor("tick 2");
    child.kill("SIGINT");
    const { code } = await child.exited;
    assert.equal(code, 7, child.stdout());
    const out = child.stdout();
    assert.ok(out.indexOf("stopped by SIGINT") < out.indexOf("foreign listener got SIGINT"), out);
    assert.equal(out.split("foreign listener got SIGINT").length - 1, 1, out);
  });

  it("says a second signal during a slow emergency save means 'press again to abort', and hands the third on at once", async function () {
    const child = startChild("slow-save");
    await child.waitFor("tick 2");
    child.kill("SIGINT");
    await sleep(300);
    child.kill("SIGINT");
    const deadline = Date.now() + 3_000;
    while (!child.stderr().includes(signalNotices.savingPressAgain("SIGINT")) && Date.now() < deadline) await sleep(20);
    assert.ok(child.stderr().includes(signalNotices.savingPressAgain("SIGINT")), `the second SIGINT says what a third does; stderr:\n${child.stderr()}`);
    const before = Date.now();
    child.kill("SIGINT");
    const { signal } = await child.exited;
    assert.equal(signal, "SIGINT");
    assert.ok(Date.now() - before < 4_000, "the third SIGINT did not end the process before the 5 s save finished");
    assert.doesNotMatch(child.stdout(), /stopped by/);
  });

  it("survives starting a run inside vm's breakOnSigint section (a synchronous tslab cell)", async function () {
    // Control: a SIGINT listener added inside the section leaves Node's exit-on-SIGINT handler in
    // place, and the process dies although a listener exists. That is what killed tslab kernels.
    const control = startChild("vm-raw-listener");
    await control.waitFor("ready");
    control.kill("SIGINT");
    assert.equal((await control.exited).signal, "SIGINT");
    assert.doesNotMatch(control.stdout(), /stopped/);

    const child = startChild("vm-sync-start");
    await child.waitFor("ready");
    child.kill("SIGINT");
    const { signal } = await child.exited;
    assert.equal(signal, "SIGINT", "dies of SIGINT only after the run stopped");
    assert.match(child.stdout(), /stopped by SIGINT\n/);
  });

  it("listens only for the signals asked for (interruptSignal with SIGTERM only)", async function () {
    const child = startChild("scope");
    await child.waitFor("ready");
    child.kill("SIGTERM");
    const { signal } = await child.exited;
    assert.equal(signal, "SIGTERM");
    assert.match(child.stdout(), /stopped by SIGTERM\n/);
  });
});

describe("exclusive runs in one process", function () {
  it("removes its signal listeners and puts the others back when the run ends", async function () {
    const foreign = (): void => undefined;
    process.on("SIGTERM", foreign);
    const sigintBefore = process.rawListeners("SIGINT");
    try {
      let during: ReturnType<typeof process.rawListeners> = [];
      await runExclusive("listeners", async () => {
        during = process.rawListeners("SIGTERM");
      });
      assert.equal(during.length, 1, "only the hub listens while a run is active");
      assert.ok(!during.includes(foreign), "other SIGTERM listeners are held back during the run");
      assert.deepEqual(process.rawListeners("SIGTERM"), [foreign]);
      assert.deepEqual(process.rawListeners("SIGINT"), sigintBefore);
    } finally {
      process.removeListener("SIGTERM", foreign);
    }
  });

  it("aborts the previous run with the same key as superseded and waits for it to return first", async function () {
    const events: string[] = [];
    const first = runExclusive("same-key", async (signal) => {
      events.push("A start");
      while (!signal.aborted) await sleep(5);
      events.push(`A aborted: ${stopReason(signal)}`);
      await sleep(100); // its emergency save
      events.push("A returned");
      return "A";
    });
    await sleep(50);
    assert.ok(isRunActive("same-key"));
    const second = await runExclusive("same-key", async (signal) => {
      events.push(`B start (aborted: ${signal.aborted})`);
      return "B";
    });
    assert.equal(second, "B");
    assert.equal(await first, "A");
    assert.deepEqual(events, ["A start", "A aborted: superseded", "A returned", "B start (aborted: false)"]);
    assert.equal(isRunActive("same-key"), false);
  });

  it("runs with different keys side by side without stopping each other", async function () {
    let aborted = false;
    const a = runExclusive("key-a", async (signal) => {
      await sleep(100);
      aborted = signal.aborted;
    });
    await runExclusive("key-b", async () => undefined);
    await a;
    assert.equal(aborted, false);
  });

  it("starts only the newest of several reruns and never overlaps two bodies", async function () {
    let inside = 0;
    let maxInside = 0;
    const body = (name: string) => async (signal: AbortSignal) => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      while (!signal.aborted && name === "first") await sleep(5);
      await sleep(30);
      inside--;
      return name;
    };
    const first = runExclusive("queue", body("first"));
    await sleep(20);
    const second = runExclusive("queue", body("second"));
    const third = runExclusive("queue", body("third"));
    assert.equal(await first, "first");
    await assert.rejects(second, (e: unknown) => isNbresumeError(e, NotebookErrorCode.RUN_SUPERSEDED) && e.message === msg.runSuperseded("queue"));
    assert.equal(await third, "third");
    assert.equal(maxInside, 1);
  });

  it("gives up waiting for a previous run that does not stop, names it, and keeps it registered", async function () {
    let release!: () => void;
    const stuck = runExclusive("stuck", () => new Promise<void>((r) => (release = r)));
    await sleep(20);
    await assert.rejects(
      runExclusive("stuck", async () => undefined, { previousRunTimeoutMs: 100 }),
      (e: unknown) => isNbresumeError(e, NotebookErrorCode.RUN_STILL_ACTIVE) && e.message === msg.runStillActive("stuck", 100),
    );
    assert.ok(isRunActive("stuck"), "the stuck run is still the active one");
    release();
    await stuck;
    assert.equal(isRunActive("stuck"), false);
  });

  it("ends a scope from inside a breakOnSigint section without leaving its listener behind", async function () {
    const before = process.rawListeners("SIGINT");
    const scope = await interruptSignal({ signals: ["SIGINT"] });
    assert.equal(process.rawListeners("SIGINT").length, 1);
    (globalThis as { __endScope?: () => void }).__endScope = () => scope.end();
    // vm takes every SIGINT listener off for the section and puts back the ones it took.
    vm.runInThisContext("__endScope()", { breakOnSigint: true });
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(process.rawListeners("SIGINT"), before);
  });

  it("ends the scope even when the body throws", async function () {
    const before = process.listenerCount("SIGTERM");
    await assert.rejects(
      runExclusive("throws", async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(process.listenerCount("SIGTERM"), before);
    assert.equal(isRunActive("throws"), false);
  });

  it("rejects bad arguments with TypeError/RangeError", async function () {
    await assert.rejects(
      runExclusive("", async () => undefined),
      { name: "TypeError", message: msg.badRunKey("") },
    );
    await assert.rejects(
      runExclusive("k", async () => undefined, { previousRunTimeoutMs: -1 }),
      {
        name: "RangeError",
        message: msg.badTimeout("previousRunTimeoutMs", -1),
      },
    );
    await assert.rejects(interruptSignal({ signals: ["SIGUSR1" as "SIGINT"] }), { name: "TypeError", message: msg.badSignals(["SIGUSR1"]) });
    await assert.rejects(interruptSignal({ signals: [] }), { name: "TypeError" });
  });
});
