#!/usr/bin/env node
// `npm run kernel:install [-- OPTIONS]` in this repository: the same as `nbresume kernel install
// [OPTIONS]` (src/cli/commands/kernel.ts), which a project that depends on nbresume runs with npx.
// Plain JS so the script name keeps working; the CLI needs the build (`npm ci` builds via prepare).
//
//   node kernel/install.mjs                      # your Jupyter data dir ($JUPYTER_DATA_DIR or the platform default)
//   node kernel/install.mjs --prefix DIR         # DIR/share/jupyter/kernels/nbresume
//   node kernel/install.mjs --jupyter-path DIR   # DIR/kernels/nbresume (point JUPYTER_PATH at DIR)
//   --name NAME, --display-name TEXT, --force    # another kernel name; what the launcher shows; replace another project's
//   --no-link                                    # skip the node_modules/nbresume self-link in a source checkout
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli", "cli.js");
if (!existsSync(cli)) {
  console.error(`kernel:install: ${cli} does not exist; run \`npm run build\` first.`);
  process.exit(2);
}
const { runCli } = await import(pathToFileURL(cli).href);
process.exitCode = await runCli(["kernel", "install", ...process.argv.slice(2)], { stdout: process.stdout, stderr: process.stderr, env: process.env });
