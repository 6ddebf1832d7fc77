/**
 * Every user-facing message of the CLI (errors, hints, notes). Tests assert against these same
 * functions. Help texts live beside each command's flags in commands/*.ts.
 */
import { isUrlLocation } from "../checkpoint/storage/location.js";
import { didYouMean } from "../shared/did-you-mean.js";

/** Codes of the CLI's own "problem found" errors (exit 1), beside the store's CHECKPOINT_* codes. */
export const CliErrorCode = {
  /** The checkpoint's state.json has no config to compare. */
  NO_CONFIG: "CLI_NO_CONFIG",
  /** The checkpoint's state.json has no command that continues the run. */
  NO_COMMAND: "CLI_NO_COMMAND",
  /** The checkpoint does not say enough to rebuild its model for export. */
  EXPORT_UNSUPPORTED: "CLI_EXPORT_UNSUPPORTED",
  /** The checkpoint's tensors do not fit the model its config rebuilds. */
  EXPORT_MISMATCH: "CLI_EXPORT_MISMATCH",
  /** The run directory has no metrics.jsonl (nbresume log). */
  NO_METRICS: "CLI_NO_METRICS",
} as const;

export const cliMessages = {
  // ── usage (exit 2) ──────────────────────────────────────────────────────────────────────────
  missingCommand(): string {
    return "missing command.";
  },
  unknownCommand(name: string, known: readonly string[]): string {
    return `unknown command '${name}'.${didYouMean(name, known)}`;
  },
  unknownOption(option: string, command: string, known: readonly string[]): string {
    const name = option.replace(/^-+/, "");
    return `unknown option '${option}' for '${command}'.${didYouMean(name, known).replace(/'([^']+)'/g, "'--$1'")}`;
  },
  flagTakesNoValue(name: string): string {
    return `--${name} is a flag and takes no value.`;
  },
  optionNeedsValue(name: string, placeholder: string): string {
    return `--${name} needs a value: --${name} ${placeholder}.`;
  },
  optionRepeated(name: string): string {
    return `--${name} is given more than once.`;
  },
  notACount(name: string, text: string): string {
    return `--${name} must be a whole number ≥ 0, got '${text}'.`;
  },
  notAPositiveCount(name: string, text: string): string {
    return `--${name} must be a whole number ≥ 1, got '${text}'.`;
  },
  missingArgument(args: string): string {
    return `missing argument: expected ${args}.`;
  },
  extraArguments(extra: readonly string[]): string {
    return `unexpected argument${extra.length === 1 ? "" : "s"}: ${extra.map((e) => `'${e}'`).join(" ")}.`;
  },
  missingOption(name: string, placeholder: string): string {
    return `missing --${name} ${placeholder}.`;
  },
  pathMissing(arg: string): string {
    return `${arg} does not exist.`;
  },
  notADirectory(arg: string): string {
    return `${arg} is not a directory (expected a checkpoint root or a checkpoint directory).`;
  },
  checkpointNotRoot(arg: string, parent: string): string {
    return `${arg} is a single checkpoint; this command takes the checkpoint root that holds it: ${parent}.`;
  },
  refWithCheckpoint(arg: string): string {
    return `--ref picks a checkpoint inside a checkpoint root, but ${arg} already is a checkpoint; drop --ref or pass the root.`;
  },
  badRef(ref: string, detail: string): string {
    return `bad --ref '${ref}': ${detail} Use auto, latest, best, best-previous, step:N or a checkpoint name.`;
  },
  /** A --ref that is no ref word, no checkpoint's name in the root and no existing path. */
  refNamesNothing(ref: string, root: string): string {
    return `No checkpoint matches "${ref}" in ${root}: it is not auto, latest, best, best-previous or step:N, no checkpoint there has that name, and no directory ${ref} exists.`;
  },
  badMetric(text: string): string {
    return `--metric must be NAME:min or NAME:max (e.g. val_loss:min), got '${text}'.`;
  },
  configUnreadable(file: string, detail: string): string {
    return `cannot read the config file ${file} (${detail}).`;
  },
  configNotJson(file: string, detail: string): string {
    return `the config file ${file} is not valid JSON (${detail}).`;
  },
  configTooDeep(file: string, limit: number): string {
    return `the config file ${file} nests more than ${limit} levels deep; no run records a config like that.`;
  },
  badOutPath(file: string): string {
    return `--out ${file}: the directory it would go into does not exist.`;
  },
  usageHint(command: string | undefined): string {
    return command === undefined ? "Run 'nbresume --help' for the commands." : `Run 'nbresume ${command} --help' for details.`;
  },

  // ── problems (exit 1) ───────────────────────────────────────────────────────────────────────
  error(message: string): string {
    return `error: ${message}`;
  },
  hint(text: string): string {
    return `hint: ${text}`;
  },
  /** What to do next, by the store's error code (the store's messages already say what happened). */
  hintFor(code: string, where?: string): string | undefined {
    const bucket = where !== undefined && isUrlLocation(where);
    switch (code) {
      case "CHECKPOINT_CORRUPT":
        return "run 'nbresume verify DIR' to see every damaged file; a rerun resumes from the newest checkpoint that verifies.";
      case "CHECKPOINT_NOT_FOUND":
        return "run 'nbresume list DIR' to see which checkpoints exist.";
      case "CHECKPOINT_BUCKET_MISSING":
        return "check the bucket's name, the endpoint (AWS_ENDPOINT_URL_S3) and the credentials.";
      case "CHECKPOINT_DIR_MISSING":
        return bucket
          ? "check the bucket and the prefix: pass the s3:// URL the run saves its checkpoints under."
          : "pass the directory the run saves its checkpoints in.";
      case "CHECKPOINT_LOCKED":
        return "a running training prunes by its own policy; stop it first to prune by hand.";
      case "CHECKPOINT_DIR_NOT_WRITABLE":
        return "every command without --yes only reads, and works on this directory as it is.";
      case "CHECKPOINT_DISK_FULL":
        return "free space on the directory's filesystem ('nbresume du DIR' shows what the checkpoints take).";
      case "CHECKPOINT_LOCK_UNREADABLE":
        return "commands without --yes do not need the lock and still work.";
      default:
        return undefined;
    }
  },
  internalError(message: string): string {
    return `internal error: ${message}. Run again with --debug for the stack trace, and report it.`;
  },
  debugHint(): string {
    return "Run again with --debug for the stack trace.";
  },
  noCheckpoints(dir: string): string {
    return `No checkpoints in ${dir}.`;
  },
  /** list of a folder with no checkpoints of its own whose subfolders are runs. */
  holdsRuns(dir: string, runs: readonly string[]): string {
    return `No checkpoints in ${dir} itself: it holds runs: ${runs.join(", ")} — list one of them (nbresume list ${dir.replace(/\/+$/, "")}/${runs[0] ?? "RUN"}).`;
  },
  latestMissing(): string {
    return "not in the listing: a rerun resumes from the newest checkpoint that verifies";
  },
  defaultPolicy(): string {
    return "note: the run recorded no retention policy and no flags were given, so these are the store's defaults.";
  },
  nothingToVerify(dir: string): string {
    return `No checkpoints to verify in ${dir}.`;
  },
  /** verify's last line when some checkpoints are intact but hold non-finite numbers. */
  verifyDiverged(diverged: number, checked: number): string {
    return `${diverged} of ${checked} checkpoint${checked === 1 ? "" : "s"} diverged: files intact, numbers NaN or infinite (the run had diverged when they were saved: resume from an older one).`;
  },
  /** An intact checkpoint whose tensors could not be read back to judge their values. */
  valuesUnchecked(reason: string): string {
    return `note: files intact; tensor values not checked for NaN/Inf (${reason})`;
  },
  skipped(name: string, problem: string, used: string): string {
    return `note: ${name} is damaged (${problem}); using ${used} instead.`;
  },
  noConfig(checkpoint: string): string {
    return `${checkpoint} records no config (state.json has no "config"), so there is nothing to compare. The run records it with resumable({ config }) or save({ state: { config } }).`;
  },
  noCommand(checkpoint: string): string {
    return `${checkpoint} records no command (state.json has no "command"), so the command that continues the run is unknown. Rerun the original command or cell with the same checkpoint directory: it resumes from here.`;
  },
  resumeFrom(name: string, step: number): string {
    return `# resumes from ${name} (step ${step})`;
  },
  // ── resume-command --ref/--set, log, rollback ──────────────────────────────────────────────
  badSetting(text: string): string {
    return `expected key=value with a dotted config key (steps=2000, optimizer.lr=0.001), got '${text}'.`;
  },
  noResumeFlag(checkpoint: string, newest: string | undefined, dir: string, ref: string): string {
    return `note: the recorded command has no flag for resumeFrom, so it resumes ${newest === undefined ? "the newest checkpoint" : newest}, not ${checkpoint}. To resume ${checkpoint}: roll back first (nbresume rollback ${dir} --ref ${ref}), or pass resumeFrom: "${checkpoint}" where the run is defined.`;
  },
  noFlagFor(options: readonly string[]): string {
    return `note: the recorded command has no flag for ${options.join(", ")}: change ${options.length === 1 ? "it" : "them"} where the run is defined.`;
  },
  changeLine(path: string, before: string, after: string, verdict: string): string {
    return `# ${path}: ${before} → ${after} (${verdict})`;
  },
  verdictNote(verdict: string): string {
    switch (verdict) {
      case "needs override":
        return "the checkpoint's weights still fit, but the run refuses this change unless allowConfigChange (its flag is added)";
      case "unsafe":
        return "the checkpoint's weights belong to another model: start a new run directory instead";
      default:
        return "the run resumes with it";
    }
  },
  unsafeChanges(count: number): string {
    return `${count} unsafe change${count === 1 ? "" : "s"}: the checkpoint's weights belong to another model, so no command is printed. Start a new run directory for it.`;
  },
  /** A --set key the run records nowhere (not in its config, no flag of its command). */
  unknownSetting(key: string, known: readonly string[]): string {
    return `--set ${key}: the run records no setting ${key} (its config has no such key and its command no flag for it), so it would change nothing.${didYouMean(key, known)} 'nbresume inspect CKPT' lists the config's keys.`;
  },
  /** A --set key of a notebook run that cannot be a `nbresume run --param` (a dotted config key). */
  settingNotParameter(key: string, notebook: string, parameters: readonly string[] | undefined): string {
    const last = key.split(".").at(-1) ?? key;
    const hint = parameters === undefined ? "" : didYouMean(last, parameters);
    return (
      `--set ${key}: the run is continued with 'nbresume run ${notebook}', which sets only parameters — variables the notebook's ` +
      `parameters cell declares (--param steps=500) — and ${key} is a config key, not one. Change it in the notebook ` +
      `(or declare a parameter the training cell uses for it), then run the notebook.${hint}`
    );
  },
  /** A --set key that the notebook's parameters cell does not declare. */
  notADeclaredParameter(key: string, notebook: string, parameters: readonly string[]): string {
    const declared = parameters.length === 0 ? "declares none (or there is no code cell tagged parameters)" : `declares ${parameters.join(", ")}`;
    return `--set ${key}: the parameters cell of ${notebook} ${declared}, so 'nbresume run --param ${key}=…' would be refused.${didYouMean(key, parameters)} Declare it there (let ${key} = …;) to make it a parameter.`;
  },
  /** --ref for a notebook run whose parameters cell has no resumeFrom. */
  notebookNoResumeFrom(notebook: string, checkpoint: string, dir: string, ref: string): string {
    return `the parameters cell of ${notebook} does not declare resumeFrom, so 'nbresume run' cannot resume ${checkpoint}: roll back first (nbresume rollback ${dir} --ref ${ref}), then run the notebook; or declare let resumeFrom = "auto"; there and pass it to resumable().`;
  },
  notebookContinue(path: string, cell: string | null): string {
    return `# run from the notebook ${path}${cell === null ? "" : ` (cell ${cell})`}: rerun its training cell in Jupyter, or run it headless with the command below`;
  },
  notebookParams(): string {
    return "# --param values take effect if the notebook's parameters cell declares them and the training cell uses them";
  },
  notebookUnknown(checkpoint: string): string {
    return `${checkpoint} was written from a notebook whose path the kernel did not say: rerun the notebook's training cell (it resumes from here), or set NBRESUME_NOTEBOOK=path.ipynb in the kernel's environment so later checkpoints record it.`;
  },
  noMetrics(dir: string): string {
    return `${dir} has no metrics.jsonl: runs record one since they keep their record on disk (an older run, or not a run directory).`;
  },
  logHeader(dir: string, steps: number, first: number | undefined, last: number | undefined, evaluations: number): string {
    return steps === 0
      ? `metrics.jsonl of ${dir}: no steps yet`
      : `metrics.jsonl of ${dir}: ${steps} steps (${first}–${last}), ${evaluations} evaluation${evaluations === 1 ? "" : "s"}`;
  },
  /** log's mark on a row that holds validation metrics' best values. */
  logBest(metrics: readonly string[]): string {
    return metrics.length === 0 ? "" : `best ${metrics.join(", ")}`;
  },
  logTorn(): string {
    return "note: the last line is incomplete (a crash mid-write); the next resume cuts it off.";
  },
  logSummary(status: string, because: string, step: number, steps: number): string {
    return `last train(): ${status} at step ${step} of ${steps} — ${because} (summary.json)`;
  },
  exportBadWeights(given: string): string {
    return `--weights must be ema or model, got '${given}'.`;
  },
  exportNoEma(checkpoint: string): string {
    return `${checkpoint} has no EMA weights (no "ema" tensors: the run kept none). Export its model weights with --weights model.`;
  },
  logPlotted(file: string): string {
    return `loss chart written to ${file}`;
  },
  rolledBackHint(): string {
    return "rolled back: checkpoints a roll-back set aside (kept, not deleted); delete a folder to free its space, or move a checkpoint back to undo.";
  },
  /** list's last line when DIR holds rolled-back-… folders (a roll-back's, or a fresh start's). */
  listSetAside(count: number, size: string, names: readonly string[], remove: string): string {
    const which = count === 1 ? (names[0] ?? "a rolled-back-… folder") : `${count} rolled-back-… folders`;
    return `Set aside: ${which}, ${size} — checkpoints a roll-back or a fresh start moved out of the run (not listed above, never pruned); to free the space: ${remove}`;
  },
  /** du's row of the run's files besides its checkpoints. */
  duRunFiles(): string {
    return "run files (previews, graphs, record)";
  },
  /** du's row of the checkpoints, the temp leftovers and the rolled-back folders together. */
  duFolders(): string {
    return "checkpoint folders (the three above)";
  },
  /** du's row of everything in the run directory: the one to compare with `du -sb`. */
  duEverything(): string {
    return "total (every file in DIR)";
  },
  filesystemLine(size: string, used: string, available: string, percent: number): string {
    return `filesystem: ${size} size, ${used} used, ${available} available, ${percent}% used (as df counts: used / (used + available))`;
  },
  noFilesystem(): string {
    return "filesystem: none (object storage: no free-space figure)";
  },
  /** prune's line on the sample grids of the checkpoints it deletes (or, in a dry run, would delete). */
  pruneGrids(done: boolean, files: number, size: string): string {
    return `${done ? "Deleted" : "Would delete"} their sample grids too: ${files} file${files === 1 ? "" : "s"} (${size}) of samples-step-… beside them.`;
  },
  /** --metric NAME that no checkpoint of DIR records. */
  metricNotRecorded(name: string, dir: string, recorded: readonly string[]): string {
    const known = recorded.length === 0 ? "they record no metrics" : `they record ${recorded.join(", ")}`;
    return `--metric ${name}: no checkpoint in ${dir} records ${name} (${known}).${didYouMean(name, recorded)}`;
  },
  pruneDryRun(): string {
    return "Dry run: nothing was deleted. Run again with --yes to delete the checkpoints marked DELETE.";
  },

  // ── export ──────────────────────────────────────────────────────────────────────────────────
  exportNoModelConfig(checkpoint: string): string {
    return (
      `${checkpoint} does not say which model built it: state.json has no model config with a "kind" ` +
      `("training.model" as resumable() saves it, "model" as TrainingSession.stateDict().state has it, or ` +
      `"config.model"). Without it the model cannot be rebuilt for export; save the session's stateDict().state in the checkpoint's state.`
    );
  },
  exportUnknownModel(kind: string, known: readonly string[]): string {
    return `the checkpoint's model kind "${kind}" has no export builder (known: ${known.join(", ")}).`;
  },
  exportBadModelConfig(checkpoint: string, detail: string): string {
    return `the model config in ${checkpoint} cannot rebuild the model: ${detail}`;
  },
  exportNoParameters(checkpoint: string, groups: readonly string[]): string {
    return `${checkpoint} has no "model" tensor group to export (it has: ${groups.length > 0 ? groups.join(", ") : "none"}).`;
  },
  exportNoGraph(known: readonly string[]): string {
    return `the model has no "predict" graph; choose one with --graph (it has: ${known.length > 0 ? known.join(", ") : "none"}).`;
  },
  exportUnknownGraph(name: string, known: readonly string[]): string {
    return `--graph ${name}: the model has no such graph (it has: ${known.length > 0 ? known.join(", ") : "none"}).`;
  },
  exportParameterMismatch(detail: string): string {
    return `the checkpoint's parameters do not fit the rebuilt model: ${detail}`;
  },
  exportNoStoredBatch(graph: string, batchSize: number, stored: readonly number[]): string {
    return (
      `the run stored graph '${graph}' at batch size ${stored.join(", ")}, not ${batchSize}, and the model is not a built-in one that can be rebuilt from its config. ` +
      `Export with --batch-size ${stored[0]}, or from the model's code with exportOnnx(model, parameters, file, { batchSize: ${batchSize} }).`
    );
  },

  // ── kernel ──────────────────────────────────────────────────────────────────────────────────
  kernelOneLocation(): string {
    return "give one of --user, --prefix DIR and --jupyter-path DIR, not several.";
  },
  kernelLinkOnInstall(): string {
    return "--no-link applies to 'kernel install' only.";
  },
  kernelRuns(tslabVersion: string, tslabDir: string, node: string): string {
    return `  it runs tslab ${tslabVersion} (${tslabDir}) with ${node}`;
  },
  kernelLinked(path: string): string {
    return `Linked ${path} → .. so notebooks in this checkout can import "nbresume" with types.`;
  },
  kernelLinkNoNodeModules(path: string): string {
    return `note: ${path} not created: there is no node_modules yet; run \`npm install\`, then install the kernel again.`;
  },
  kernelLinkOccupied(path: string): string {
    return `note: ${path} exists and is not a link to this checkout; left as is.`;
  },
  kernelJupyterPathHint(dir: string): string {
    return `Start Jupyter with JUPYTER_PATH=${dir} to see it.`;
  },
  kernelNextStep(): string {
    return "Start Jupyter (jupyter lab) and choose the kernel for a notebook; after switching Node versions, install it again.";
  },
  kernelRemoved(dir: string): string {
    return `Removed the nbresume kernel: ${dir}`;
  },
  kernelAbsent(dir: string): string {
    return `note: no nbresume kernel at ${dir}; nothing to remove.`;
  },
  kernelFound(file: string, used: boolean): string {
    return `${file}${used ? "" : "  (shadowed: Jupyter uses the one listed first)"}`;
  },

  // ── run ─────────────────────────────────────────────────────────────────────────────────────
  runTokenNeedsServer(): string {
    return "--token goes with --server URL (without --server, nbresume run starts a server of its own, with its own token).";
  },
  runNotSeconds(name: string, text: string): string {
    return `--${name} must be a number of seconds ≥ 0, got '${text}'.`;
  },
  runNotANotebook(arg: string): string {
    return `${arg} is not a notebook file (expected NOTEBOOK.ipynb first, then any key=value parameters).`;
  },
  runOutIsNotebook(out: string): string {
    return `--out ${out} is the notebook itself; the executed notebook must go elsewhere (the default is NAME.executed.ipynb).`;
  },
  /** A parameter with no '=' (`--param steps`, `--param steps 500`). */
  runParamNotKeyValue(text: string): string {
    return `--param ${text === "" ? "''" : text}: a parameter is key=value (--param ${text === "" ? "NAME" : text}=VALUE); one --param per parameter: --param steps=500 --param dir=runs/long.`;
  },
} as const;
