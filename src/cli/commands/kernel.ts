/**
 * `nbresume kernel install|uninstall|status`: the nbresume Jupyter kernel of a project, from the
 * project that depends on nbresume (`npx nbresume kernel install`) or from this repository
 * (`npm run kernel:install`). No IPython, no `jupyter kernelspec`: src/kernel/kernelspec.ts writes
 * kernel.json itself, naming this project's node, nbresume and tslab by absolute path. --name and
 * --display-name are ipykernel's; the default name stays `nbresume` (src/kernel/kernel-names.ts).
 */
import { resolve } from "node:path";
import { isKernelName, KERNEL_NAME, suggestedKernelName } from "../../kernel/kernel-names.js";
import { installKernel, kernelDir, kernelStatus, searchedKernelDirs, uninstallKernel, type KernelLocation } from "../../kernel/kernelspec.js";
import { kernelMessages } from "../../kernel/messages.js";
import { PACKAGE_ROOT } from "../../kernel/package-paths.js";
import { kernelProject, sameProject } from "../../kernel/project.js";
import type { Command, CommandContext } from "../command.js";
import { cliMessages as messages } from "../messages.js";
import { UsageError } from "../usage-error.js";
import { didYouMean } from "../../shared/did-you-mean.js";

const ACTIONS = ["install", "uninstall", "status"] as const;
type Action = (typeof ACTIONS)[number];

interface Settings {
  readonly where: KernelLocation | undefined;
  readonly name: string;
  readonly displayName: string | undefined;
  readonly force: boolean;
  readonly link: boolean;
}

function stringOption(options: CommandContext["options"], name: string): string | undefined {
  const value = options[name];
  return typeof value === "string" ? value : undefined;
}

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
  summary: "install, remove or check this project's nbresume Jupyter kernel",
  args: "install|uninstall|status",
  positionals: { min: 1, max: 1 },
  description:
    'install writes the kernelspec "nbresume" (kernels/nbresume/kernel.json; --name NAME for another) for\n' +
    "Jupyter: it runs tslab with this project's node, nbresume and tslab, by absolute path, and turns\n" +
    "shorthand properties of earlier cells' names ({ model, data }) into code tslab runs. Its display name\n" +
    'names the project: "TypeScript (nbresume: my-project)". A kernel of that name that another project\n' +
    "installed is not replaced: give this project's its own --name (e.g. nbresume-my-project), or --force.\n" +
    "Default location: your Jupyter data dir (--user); --prefix DIR: DIR/share/jupyter (a conda env or\n" +
    "venv); --jupyter-path DIR: DIR, for JUPYTER_PATH=DIR. Run it again after switching Node versions or\n" +
    "moving the project. uninstall removes it from that location. status shows every kernelspec of that\n" +
    "name Jupyter would find (or the one at the given location), what it runs, and exits 1 if none is\n" +
    "there or it cannot start.",
  options: [
    {
      name: "name",
      type: "string",
      value: "NAME",
      description: `the kernelspec's name, kernels/NAME (default ${KERNEL_NAME}; a notebook's metadata names it)`,
    },
    {
      name: "display-name",
      type: "string",
      value: "TEXT",
      description: 'install: what Jupyter\'s launcher shows (default "TypeScript (nbresume: <project>)")',
    },
    { name: "force", type: "boolean", description: "install: replace a kernelspec of that name another project (or program) installed" },
    { name: "user", type: "boolean", description: "your Jupyter data dir ($JUPYTER_DATA_DIR or ~/.local/share/jupyter; the default)" },
    { name: "prefix", type: "string", value: "DIR", description: "DIR/share/jupyter/kernels/NAME" },
    { name: "jupyter-path", type: "string", value: "DIR", description: "DIR/kernels/NAME (start Jupyter with JUPYTER_PATH=DIR)" },
    { name: "no-link", type: "boolean", description: "install: in a source checkout, do not link node_modules/nbresume → .." },
  ],
  json: true,
  examples: [
    "npx nbresume kernel install",
    "npx nbresume kernel install --name nbresume-my-project",
    'npx nbresume kernel install --prefix "$CONDA_PREFIX"',
    "npx nbresume kernel status",
    "npx nbresume kernel uninstall",
  ],

  async run({ positionals, options, json, out }) {
    const given = positionals[0] as string;
    const action = ACTIONS.find((a) => a === given);
    if (action === undefined) throw new UsageError(kernelMessages.unknownAction(given, didYouMean(given, ACTIONS)), "kernel");
    if (action !== "install" && options["no-link"] === true) throw new UsageError(messages.kernelLinkOnInstall(), "kernel");
    for (const option of ["display-name", "force"])
      if (action !== "install" && options[option] !== undefined) throw new UsageError(kernelMessages.installOnly(option), "kernel");
    const name = stringOption(options, "name") ?? KERNEL_NAME;
    if (!isKernelName(name)) throw new UsageError(kernelMessages.badName(name), "kernel");
    const settings: Settings = {
      where: location(options),
      name,
      displayName: stringOption(options, "display-name"),
      force: options["force"] === true,
      link: options["no-link"] !== true,
    };
    return run(action, settings, json, out);
  },
};

function run(action: Action, { where, name, displayName, force, link }: Settings, json: boolean, out: CommandContext["out"]): number {
  if (action === "install") {
    const r = installKernel(where ?? { kind: "user" }, { name, force, link, ...(displayName === undefined ? {} : { displayName }) });
    if (json) {
      out.json({ name: r.name, file: r.file, dir: r.dir, spec: r.spec, link: r.link, replaced: r.replaced ?? null });
      return 0;
    }
    const { tslab, tslabVersion } = r.spec.metadata.nbresume;
    if (r.replaced !== undefined) out.note(kernelMessages.replaced(name, r.replaced.project.root, r.replaced.why));
    out.line(kernelMessages.installed(name, r.spec.display_name, r.file));
    out.line(messages.kernelRuns(tslabVersion, tslab, r.spec.argv[0] as string));
    if (r.link.status === "created") out.line(messages.kernelLinked(r.link.path));
    if (r.link.status === "skipped")
      out.note(r.link.reason === "no-node-modules" ? messages.kernelLinkNoNodeModules(r.link.path) : messages.kernelLinkOccupied(r.link.path));
    out.line(where?.kind === "jupyter-path" ? messages.kernelJupyterPathHint(resolve(where.dir)) : messages.kernelNextStep());
    return 0;
  }
  if (action === "uninstall") {
    const r = uninstallKernel(where ?? { kind: "user" }, { name });
    if (json) out.json(r);
    else if (r.status === "removed") out.line(messages.kernelRemoved(r.dir));
    else out.note(messages.kernelAbsent(r.dir));
    return 0;
  }
  const dirs = where === undefined ? searchedKernelDirs(name) : [kernelDir(where, name)];
  const found = kernelStatus(dirs);
  const first = found[0];
  const ok = first !== undefined && first.problems.length === 0;
  if (json) {
    out.json({ ok, searched: dirs, kernels: found, packageRoot: PACKAGE_ROOT });
    return ok ? 0 : 1;
  }
  if (first === undefined) {
    out.note(kernelMessages.notInstalled(name, dirs));
    return 1;
  }
  const { color } = out;
  const ours = kernelProject(PACKAGE_ROOT);
  found.forEach((k, i) => {
    out.line(color.bold(messages.kernelFound(k.file, i === 0)));
    out.line(`  display  ${k.displayName ?? "?"}`);
    out.line(`  node     ${k.node ?? "?"}`);
    out.line(`  entry    ${k.entry ?? "?"}`);
    out.line(`  tslab    ${k.tslab === undefined ? "?" : `${k.tslab.dir} (${k.tslab.version})`}`);
    for (const p of k.problems) out.line(color.bad(`  ${kernelMessages.problem(p, name)}`));
    if (k.problems.length > 0 || k.current || k.packageRoot === undefined || k.project === undefined) return;
    if (sameProject(k.project, ours)) out.line(`  ${kernelMessages.otherPackage(k.packageRoot, name)}`);
    else out.line(`  ${kernelMessages.otherProject(k.project.root, suggestedKernelName(ours))}`);
  });
  return ok ? 0 : 1;
}
