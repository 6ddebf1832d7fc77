/**
 * `nbresume kernel install|uninstall|status`: the "TypeScript (nbresume)" Jupyter kernel, from the
 * project that depends on nbresume (`npx nbresume kernel install`) or from this repository
 * (`npm run kernel:install`). No IPython, no `jupyter kernelspec`: src/kernel/kernelspec.ts writes
 * kernel.json itself, naming this project's node, nbresume and tslab by absolute path.
 */
import { resolve } from "node:path";
import { DISPLAY_NAME, installKernel, kernelDir, kernelStatus, searchedKernelDirs, uninstallKernel, type KernelLocation } from "../../kernel/kernelspec.js";
import { PACKAGE_ROOT } from "../../kernel/package-paths.js";
import type { Command, CommandContext } from "../command.js";
import { cliMessages as messages } from "../messages.js";
import { UsageError } from "../usage-error.js";

const ACTIONS = ["install", "uninstall", "status"] as const;
type Action = (typeof ACTIONS)[number];

function location(options: CommandContext["options"]): KernelLocation | undefined {
  const prefix = typeof options["prefix"] === "string" ? options["prefix"] : undefined;
  const jupyterPath = typeof options["jupyter-path"] === "string" ? options["jupyter-path"] : undefined;
  const user = options["user"] === true;
  if ([prefix !== undefined, jupyterPath !== undefined, user].filter(Boolean).length > 1) throw new UsageError(messages.kernelOneLocation(), "kernel");
  if (prefix !== undefined) return { kind: "prefix", dir: prefix };
  if (jupyterPath !== undefined) return { kind: "jupyter-path", dir: jupyterPath };
  return user ? { kind: "user" } : undefined;
}

export const kernelCommand: Command = {
  name: "kernel",
  summary: 'install, remove or check the "TypeScript (nbresume)" Jupyter kernel',
  args: "install|uninstall|status",
  positionals: { min: 1, max: 1 },
  description:
    'install writes the kernelspec "nbresume" (kernels/nbresume/kernel.json) for Jupyter: it runs tslab with\n' +
    "this project's node, nbresume and tslab, by absolute path, and turns shorthand properties of earlier\n" +
    "cells' names ({ model, data }) into code tslab runs. Default location: your Jupyter data dir (--user);\n" +
    "--prefix DIR: DIR/share/jupyter (a conda env or venv); --jupyter-path DIR: DIR, for JUPYTER_PATH=DIR.\n" +
    "Run it again after switching Node versions or moving the project.\n" +
    "uninstall removes it from that location. status shows every nbresume kernelspec Jupyter would find\n" +
    "(or the one at the given location), what it runs, and exits 1 if none is there or it cannot start.",
  options: [
    { name: "user", type: "boolean", description: "your Jupyter data dir ($JUPYTER_DATA_DIR or ~/.local/share/jupyter; the default)" },
    { name: "prefix", type: "string", value: "DIR", description: "DIR/share/jupyter/kernels/nbresume" },
    { name: "jupyter-path", type: "string", value: "DIR", description: "DIR/kernels/nbresume (start Jupyter with JUPYTER_PATH=DIR)" },
    { name: "no-link", type: "boolean", description: "install: in a source checkout, do not link node_modules/nbresume → .." },
  ],
  json: true,
  examples: [
    "npx nbresume kernel install",
    'npx nbresume kernel install --prefix "$CONDA_PREFIX"',
    "npx nbresume kernel status",
    "npx nbresume kernel uninstall",
  ],

  async run({ positionals, options, json, out }) {
    const action = ACTIONS.find((a) => a === positionals[0]);
    if (action === undefined) throw new UsageError(messages.kernelUnknownAction(positionals[0] as string), "kernel");
    if (action !== "install" && options["no-link"] === true) throw new UsageError(messages.kernelLinkOnInstall(), "kernel");
    const where = location(options);
    return run(action, where, options["no-link"] !== true, json, out);
  },
};

function run(action: Action, where: KernelLocation | undefined, link: boolean, json: boolean, out: CommandContext["out"]): number {
  if (action === "install") {
    const r = installKernel(where ?? { kind: "user" }, { link });
    if (json) {
      out.json({ file: r.file, dir: r.dir, spec: r.spec, link: r.link });
      return 0;
    }
    const { tslab, tslabVersion } = r.spec.metadata.nbresume;
    out.line(messages.kernelInstalled(DISPLAY_NAME, r.file));
    out.line(messages.kernelRuns(tslabVersion, tslab, r.spec.argv[0] as string));
    if (r.link.status === "created") out.line(messages.kernelLinked(r.link.path));
    if (r.link.status === "skipped")
      out.note(r.link.reason === "no-node-modules" ? messages.kernelLinkNoNodeModules(r.link.path) : messages.kernelLinkOccupied(r.link.path));
    out.line(where?.kind === "jupyter-path" ? messages.kernelJupyterPathHint(resolve(where.dir)) : messages.kernelNextStep());
    return 0;
  }
  if (action === "uninstall") {
    const r = uninstallKernel(where ?? { kind: "user" });
    if (json) out.json(r);
    else if (r.status === "removed") out.line(messages.kernelRemoved(r.dir));
    else out.note(messages.kernelAbsent(r.dir));
    return 0;
  }
  const dirs = where === undefined ? searchedKernelDirs() : [kernelDir(where)];
  const found = kernelStatus(dirs);
  const first = found[0];
  const ok = first !== undefined && first.problems.length === 0;
  if (json) {
    out.json({ ok, searched: dirs, kernels: found, packageRoot: PACKAGE_ROOT });
    return ok ? 0 : 1;
  }
  if (first === undefined) {
    out.note(messages.kernelNotInstalled(dirs));
    return 1;
  }
  const { color } = out;
  found.forEach((k, i) => {
    out.line(color.bold(messages.kernelFound(k.file, i === 0)));
    out.line(`  node     ${k.node ?? "?"}`);
    out.line(`  entry    ${k.entry ?? "?"}`);
    out.line(`  tslab    ${k.tslab === undefined ? "?" : `${k.tslab.dir} (${k.tslab.version})`}`);
    for (const p of k.problems) out.line(color.bad(`  ${messages.kernelProblem(p)}`));
    if (k.problems.length === 0 && !k.current && k.packageRoot !== undefined) out.line(`  ${messages.kernelOtherPackage(k.packageRoot)}`);
  });
  return ok ? 0 : 1;
}
