/** Real tmpfs mounts for the checkpoint tests (a full disk, a read-only filesystem): needs root, see canMount. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Mount a tmpfs of `bytes` on `dir` (`ro`: read-only). Needs root; see canMount. */
export function mountTmpfs(dir: string, bytes: number, options: { readOnly?: boolean } = {}): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}${options.readOnly ? ",ro" : ""}`, "tmpfs", dir], { stdio: "pipe" });
}

/** Remount an already mounted tmpfs read-only (its files stay). */
export function remountReadOnly(dir: string): void {
  execFileSync("mount", ["-o", "remount,ro", dir], { stdio: "pipe" });
}

export function unmount(dir: string): void {
  execFileSync("umount", [dir], { stdio: "pipe" });
}

/** Whether this machine lets us mount a small tmpfs (root in CI); decided once, when the suite loads. */
export const canMount = ((): boolean => {
  if (process.env.NBRESUME_TEST_NO_MOUNT === "1") return false; // to exercise the fallback where mount works
  const probe = mkdtempSync(path.join(os.tmpdir(), "nbresume-mount-probe-"));
  try {
    mountTmpfs(probe, 1024 * 1024);
    unmount(probe);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();
