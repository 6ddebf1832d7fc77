/**
 * A temporary project where node_modules/nbresume links to this checkout — how a user who ran
 * `npm install nbresume` meets it — and a Jupyter environment with the nbresume kernel installed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJupyterEnv, REPO_ROOT, type JupyterEnv } from "./jupyter-server.js";

export interface UserProject {
  readonly dir: string;
  readonly jupyter: JupyterEnv;
  /** Removes the project and the Jupyter environment. */
  remove(): void;
}

export function createUserProject(prefix: string): UserProject {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(REPO_ROOT, join(dir, "node_modules", "nbresume"));
    const jupyter = createJupyterEnv();
    return {
      dir,
      jupyter,
      remove() {
        rmSync(dir, { recursive: true, force: true });
        jupyter.remove();
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
