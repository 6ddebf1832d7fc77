/**
 * Every user-facing message of the run (resumable(), the demo, roll-back), and its error codes.
 * Tests assert against these same functions (STYLE.md §7), so wording changes in one place.
 */
import type { DataChange } from "./data-changes.js";
import { displayPath } from "./display-path.js";
import { formatBytes, formatCount, formatDuration, formatLoss } from "../shared/format.js";

export const RunErrorCode = {
  /** The checkpoint's config differs from this run's in a way that makes resuming unsafe. */
  CONFIG_CHANGED: "RUN_CONFIG_CHANGED",
  /** A checkpoint's state.json is not what resumable() writes. */
  STATE_INVALID: "RUN_STATE_INVALID",
  /** The checkpoint's tensors do not fit the model: its architecture changed (said before any preview). */
  STATE_MISMATCH: "RUN_STATE_MISMATCH",
  /** Saving checkpoints kept failing; training stopped. */
  SAVE_FAILING: "RUN_SAVE_FAILING",
  /** The emergency checkpoint could not be written. */
  EMERGENCY_SAVE_FAILED: "RUN_EMERGENCY_SAVE_FAILED",
  /** The sampler thread could not start or died; sample grids are drawn on the training thread instead. */
  SAMPLER_STOPPED: "RUN_SAMPLER_STOPPED",
  /** onExisting: "ask" could not ask (a notebook cell, or no terminal): the choice is shown, rerun with it. */
  NEEDS_ANSWER: "RUN_NEEDS_ANSWER",
  /** onExisting: "error": the directory holds another run's checkpoints. */
  DIR_HAS_RUN: "RUN_DIR_HAS_RUN",
  /** The checkpoint to resume fails validation (validate: "stop"), or none passes (validate: "fallback"). */
  VALIDATION_FAILED: "RUN_VALIDATION_FAILED",
  /** initFrom could not be read. */
  INIT_FAILED: "RUN_INIT_FAILED",
  /** initFrom's tensors do not fit the model (strict), or none does. */
  INIT_MISMATCH: "RUN_INIT_MISMATCH",
} as const;

export type RunErrorCodeValue = (typeof RunErrorCode)[keyof typeof RunErrorCode];

function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
}

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** How one config change is judged. */
export type ChangeSeverity = "unsafe" | "changes-training" | "harmless";

/** What a resume restores besides the weights (the `load` option). */
export type ResumePart = "optimizer" | "schedule" | "RNG" | "data order";

/** What of a weights source (`source`: "file", "checkpoint") does not fit the model's parameters. */
function initReportParts(
  r: {
    missing: readonly string[];
    unused: readonly string[];
    mismatched: readonly { name: string; expected: string; found: string }[];
  },
  source = "file",
): string[] {
  const names = (list: readonly string[]): string => (list.length > 6 ? `${list.slice(0, 6).join(", ")}, … (${list.length} in all)` : list.join(", "));
  const parts: string[] = [];
  if (r.missing.length > 0) parts.push(`not in the ${source}: ${names(r.missing)}`);
  if (r.mismatched.length > 0) parts.push(`wrong shape: ${names(r.mismatched.map((m) => `${m.name} (model ${m.expected}, ${source} ${m.found})`))}`);
  if (r.unused.length > 0) parts.push(`not in the model: ${names(r.unused)}`);
  return parts;
}

export const runMessages = {
  // ── options (TypeError / RangeError at the API boundary) ───────────────────────────────────
  badOption(name: string, rule: string, value: unknown): string {
    return `resumable: ${name} must be ${rule}, got ${show(value)}.`;
  },
  missingOption(name: string, example: string): string {
    return `resumable: ${name} is required, e.g. ${example}.`;
  },
  evalNeedsTestData(batchSize: number, count: number | undefined): string {
    return count === undefined
      ? `resumable: evalEvery needs held-out data: pass data: { train, test } (mnist() returns both) or set evalEvery: false.`
      : `resumable: evalEvery needs data.test with at least batchSize (${batchSize}) examples, it has ${count}; lower batchSize or set evalEvery: false.`;
  },
  batchTooLarge(batchSize: number, count: number, name: string): string {
    return `resumable: batchSize ${batchSize} is larger than the training set ${name} (${count} examples).`;
  },
  earlyStoppingNeedsEvaluation(): string {
    return "resumable: earlyStopping watches a validation metric: pass held-out data (data: { train, test }) and keep evalEvery on.";
  },
  validateMetricNeedsData(): string {
    return "resumable: validate.metric is measured on held-out data: pass data: { train, test } and keep evalEvery on.";
  },

  // ── 1. resolve ─────────────────────────────────────────────────────────────────────────────
  startingFromScratch(dir: string): string {
    return `No checkpoint in ${displayPath(dir)}: starting from scratch.`;
  },
  configTitle(settings: number): string {
    return `Run configuration (${settings} settings, recorded in every checkpoint)`;
  },
  skippedCheckpoint(name: string, problem: string, using: string): string {
    return `Checkpoint ${name} is damaged (${problem}); falling back to ${using}.`;
  },
  /** A checkpoint whose metrics are not finite: intact files, but resuming into it would diverge again. */
  skippedDiverged(name: string, problem: string, using: string): string {
    return `Checkpoint ${name} diverged (${problem}); not resuming into it: falling back to ${using}, the newest whose metrics are finite. Lower the learning rate or clip gradients (clipGradNorm) before training on.`;
  },
  /** The run directory cannot be written: the newest checkpoint is loaded and previewed, nothing is trained or saved. */
  readOnlyRun(dir: string, detail: string): string {
    return `${displayPath(dir)} cannot be written (${detail}): opened read-only — the newest checkpoint is shown, but this run cannot train or save. Make the directory writable (or copy it somewhere writable) and rerun to resume.`;
  },

  /** A checkpoint whose parameters hold NaN or ±Inf: resuming it would train nothing. */
  skippedNonFinite(name: string, detail: string, using: string | undefined): string {
    return `Checkpoint ${name} has parameters that are not finite (${detail}); not resuming into it${using === undefined ? "" : `: falling back to ${using}`}.`;
  },
  /** The resume preview found the model broken: shown above, then the next candidate. */
  skippedValidation(name: string, reason: string): string {
    return `Checkpoint ${name} fails validation: ${reason} (its preview is above). Falling back to the previous checkpoint that passes (validate: "fallback").`;
  },
  validationWarned(name: string, reason: string): string {
    return `Checkpoint ${name} fails validation: ${reason}. Resuming it anyway (validate: "warn").`;
  },
  validationStopped(name: string, reason: string): string {
    return `Not resuming ${name}: it fails validation (${reason}). Resume another checkpoint (resumeFrom: "step:N", "best-previous" or a path), or pass validate: "warn" to resume it anyway.`;
  },
  noneValidates(dir: string, tried: readonly { name: string; reason: string }[]): string {
    return `No checkpoint in ${displayPath(dir)} passes validation (${tried.map((t) => `${t.name}: ${t.reason}`).join("; ")}). Start from scratch (resumeFrom: "none"), or pass validate: "warn" to resume the newest anyway.`;
  },
  metricOutOfBounds(name: string, value: number, bound: { min?: number; max?: number }): string {
    const range =
      bound.min !== undefined && bound.max !== undefined
        ? `from ${formatLoss(bound.min)} to ${formatLoss(bound.max)}`
        : bound.max !== undefined
          ? `at most ${formatLoss(bound.max)}`
          : `at least ${formatLoss(bound.min ?? 0)}`;
    return `${name} on held-out data is ${formatLoss(value)}, which should be ${range}`;
  },
  /** Going back to an older checkpoint than the newest: the newer ones are moved aside, never deleted. */
  setAsideNewer(target: string, step: number, moved: number, bytes: number, folder: string): string {
    return `Resuming ${target} (step ${formatCount(step)}), older than the newest: moved ${plural(moved, "newer checkpoint")} (${formatBytes(bytes)}) to ${displayPath(folder)} — not deleted (\`nbresume list ${displayPath(folder)}\` lists them) — so the run continues from step ${formatCount(step)} without mixing them up.`;
  },
  /** Starting over in a directory that holds checkpoints (onExisting: "fresh", resumeFrom: "none", a weights-only restart). */
  setAsideAll(why: string, moved: number, bytes: number, folder: string): string {
    return `${why}: moved ${plural(moved, "checkpoint")} (${formatBytes(bytes)}) and the run's record to ${displayPath(folder)} — not deleted — and starting over.`;
  },
  /** Starting over in a bucket: its checkpoints move; pictures and metrics.jsonl have no folder to go to there. */
  setAsideAllInBucket(why: string, moved: number, bytes: number, folder: string): string {
    return `${why}: moved ${plural(moved, "checkpoint")} (${formatBytes(bytes)}) to ${folder} — not deleted (\`nbresume list ${folder}\` lists them) — and starting over. In a bucket the old pictures are not moved (the new run's replace them, and prune the rest as it saves) and the old metrics.jsonl is kept as metrics-before-<time>.jsonl.`;
  },
  /** Rerunning a cell whose resumeFrom / onExisting already started the newest line: it continues. */
  continuingLine(request: string, from: string | null, step: number, newest: string): string {
    const start = from === null ? `from scratch` : `from ${from} (step ${formatCount(step)})`;
    return `${request} started this run ${start}; its newest checkpoint is ${newest}: continuing it (change ${request.split(":")[0]} or the config to start again).`;
  },
  dirHasRun(dir: string, count: number, newest: string, changes: readonly string[]): string {
    return (
      `Not training in ${displayPath(dir)}: it holds ${plural(count, "checkpoint")} of another run (newest ${newest}; config changes: ${changes.join("; ")}) and onExisting is "error". ` +
      `Use a new dir, or pass onExisting: "resume" to continue it, or "fresh" to move them aside and start over.`
    );
  },
  askQuestion(dir: string, count: number, newest: string, step: number): string {
    return `${displayPath(dir)} holds ${plural(count, "checkpoint")} (newest ${newest}, step ${formatCount(step)}). Resume from it? [Y/n] (n: move them to ${displayPath(dir)}/rolled-back-<time>/ and start over) `;
  },
  askTitle(dir: string, count: number, newest: string, step: number): string {
    return `${displayPath(dir)} holds ${plural(count, "checkpoint")} (newest ${newest}, step ${formatCount(step)}): what should this run do?`;
  },
  askChoices(dir: string, step: number): [string, string][] {
    return [
      ['onExisting: "resume"', `continue from step ${formatCount(step)} (the config changes above apply)`],
      ['onExisting: "fresh"', `move the checkpoints to ${displayPath(dir)}/rolled-back-<time>/ (not deleted) and start from step 0`],
    ];
  },
  cannotAsk(where: "notebook" | "no-terminal"): string {
    return where === "notebook"
      ? `onExisting: "ask" cannot ask in a notebook cell: the tslab kernel has no input box for a running cell (it implements no stdin channel). Choose above, set onExisting to it in the cell, and rerun.`
      : `onExisting: "ask" cannot ask: there is no terminal to answer in (stdin is not a TTY). Pass onExisting: "resume" or "fresh" (the demo: --on-existing resume|fresh).`;
  },
  freshChosen(): string {
    return 'onExisting: "fresh"';
  },
  noneChosen(): string {
    return 'resumeFrom: "none"';
  },
  restartChosen(name: string, step: number): string {
    return `load: { schedule: false } (a new run from the weights of ${name}, step ${formatCount(step)})`;
  },
  initIgnored(path: string, name: string): string {
    return `initFrom (${displayPath(path)}) is for a run that starts from scratch: resuming ${name} instead.`;
  },
  /** initFrom reads local files only: a checkpoint in a bucket is resumed with dir/resumeFrom, or copied down first. */
  initFromUrl(url: string): string {
    return `initFrom: ${url} is in object storage, and initFrom reads local files only. Copy it to a directory first (\`aws s3 cp --recursive ${url} ckpt/\`) and give that, or resume the run it belongs to with dir: "${url.replace(/\/[^/]*$/, "")}".`;
  },
  initMissing(file: string): string {
    return `initFrom: ${displayPath(file)} does not exist. Give a .safetensors file, a checkpoint directory or an .onnx file.`;
  },
  initNoModelGroup(file: string, groups: readonly string[]): string {
    return `initFrom: the checkpoint ${displayPath(file)} has no "model" tensors (it has: ${groups.join(", ") || "none"}).`;
  },
  initUnreadable(file: string, detail: string): string {
    return `initFrom: ${displayPath(file)} could not be read as weights: ${detail}.`;
  },
  initMismatch(report: {
    source: string;
    loaded: readonly string[];
    missing: readonly string[];
    unused: readonly string[];
    mismatched: readonly { name: string; expected: string; found: string }[];
  }): string {
    const parts = initReportParts(report);
    if (report.loaded.length === 0) return `initFrom: no tensor of ${displayPath(report.source)} fits the model's parameters (${parts.join("; ")}).`;
    return `initFrom: ${displayPath(report.source)} does not fit the model exactly (${parts.join("; ")}). Pass initFrom: { path, strict: false } to load the ${plural(report.loaded.length, "tensor")} that fit.`;
  },
  warmStarted(report: {
    source: string;
    kind: string;
    loaded: readonly string[];
    missing: readonly string[];
    unused: readonly string[];
    mismatched: readonly { name: string; expected: string; found: string }[];
  }): string {
    const parts = initReportParts(report);
    return `Initial weights from ${displayPath(report.source)} (${report.kind}): loaded ${plural(report.loaded.length, "parameter")}${parts.length === 0 ? "." : `; ${parts.join("; ")} (kept their fresh initial values).`}`;
  },
  warmCaption(source: string): string {
    return `step 0 · initial weights from ${source}`;
  },

  // ── 2. verify + preview ────────────────────────────────────────────────────────────────────
  resolved(name: string, step: number, kind: string, epoch: number, loss: number | undefined): string {
    const l = loss === undefined ? "" : ` · loss ${formatLoss(loss)}`;
    return `Found ${name}: step ${formatCount(step)} · epoch ${epoch}${l} · ${kind} checkpoint, verified.`;
  },
  configDiffTitle(): string {
    return "Config changes since the checkpoint";
  },
  severityLabel(severity: ChangeSeverity): string {
    switch (severity) {
      case "unsafe":
        return "unsafe: resuming would not continue the same run";
      case "changes-training":
        return "allowed: training continues differently from here";
      case "harmless":
        return "allowed";
    }
  },
  unsafeConfigChange(dir: string, checkpoint: string, changes: readonly { path: string; old: unknown; new: unknown }[]): string {
    const list = changes.map((c) => `${c.path}: ${show(c.old)} → ${show(c.new)}`).join("; ");
    return (
      `Not resuming ${checkpoint} in ${displayPath(dir)}: the config changed in a way that makes resuming unsafe (${list}). ` +
      `Use a new dir to start a separate run, change the config back to continue this one, ` +
      `or pass allowConfigChange: true to resume these weights anyway.`
    );
  },
  /**
   * The checkpoint's model tensors do not fit the model's parameters: no override helps, so
   * allowConfigChange is not offered. `initFrom`: the checkpoint's path when some parameters fit
   * (a warm start of a new run can take them), else undefined.
   */
  architectureChanged(
    dir: string,
    checkpoint: string,
    fit: {
      missing: readonly string[];
      unused: readonly string[];
      mismatched: readonly { name: string; expected: string; found: string }[];
      loaded: readonly string[];
    },
    configChanges: readonly { path: string; old: unknown; new: unknown }[],
    initFrom: string | undefined,
  ): string {
    const config = configChanges.length === 0 ? "" : `; config: ${configChanges.map((c) => `${c.path}: ${show(c.old)} → ${show(c.new)}`).join("; ")}`;
    const warm =
      initFrom === undefined
        ? ""
        : /^[a-z][a-z0-9+.-]*:\/\//.test(initFrom)
          ? ` (copy ${initFrom} to a local directory and pass it as initFrom: { path, strict: false } to start from the ${plural(fit.loaded.length, "parameter")} that ${fit.loaded.length === 1 ? "fits" : "fit"})`
          : ` — with initFrom: { path: ${JSON.stringify(displayPath(initFrom))}, strict: false } to start it from the ${plural(fit.loaded.length, "parameter")} that ${fit.loaded.length === 1 ? "fits" : "fit"}`;
    return (
      `Not resuming ${checkpoint} in ${displayPath(dir)}: the architecture changed — the checkpoint's weights do not fit this model's parameters (${initReportParts(fit, "checkpoint").join("; ")}${config}). ` +
      `These weights cannot be resumed into this model, not even with allowConfigChange. ` +
      `Change the model back to continue this run, or use a new dir for the new model${warm}.`
    );
  },
  /** One dataset's change in words: "the training data changed since the checkpoint (multi.jsonl: 12.3 KiB → 12.3 KiB, different contents)". */
  dataChange(c: DataChange): string {
    const what = c.which === "train" ? "the training data" : "the held-out data";
    if (c.presence !== undefined) {
      return c.presence.old === null
        ? `${what} (${c.presence.new ?? "?"}) was added since the checkpoint`
        : `${what} (${c.presence.old}) was dropped since the checkpoint`;
    }
    const parts: string[] = [];
    const f = c.file;
    if (f !== undefined && (f.old !== f.new || f.differs)) {
      const sizes =
        f.old === f.new
          ? `${f.old}: ${formatBytes(f.oldBytes)} → ${formatBytes(f.newBytes)}`
          : `${f.old} (${formatBytes(f.oldBytes)}) → ${f.new} (${formatBytes(f.newBytes)})`;
      parts.push(f.differs ? `${sizes}, different contents` : sizes);
    } else if (c.contents) parts.push("different contents");
    if (c.count !== undefined) parts.push(`${formatCount(c.count.old)} → ${formatCount(c.count.new)} examples`);
    if (c.columns !== undefined) parts.push(`columns ${c.columns.old.join(", ") || "none"} → ${c.columns.new.join(", ") || "none"}`);
    if (c.split) parts.push("another split of its rows");
    const fileOnly = c.sameRows && c.count === undefined && c.columns === undefined && !c.split && f?.differs === true;
    if (fileOnly) parts.push(`its own rows are the same`);
    if (parts.length === 0) parts.push("its description differs: see the table above");
    return `${what}${fileOnly ? "'s file" : ""} changed since the checkpoint (${parts.join("; ")})`;
  },
  /** Resuming refused because the data changed: one line per dataset first, then what to do. */
  dataChanged(dir: string, checkpoint: string, lines: readonly string[], others: readonly { path: string; old: unknown; new: unknown }[]): string {
    const head = lines.map((l) => `${l.charAt(0).toUpperCase()}${l.slice(1)}.`).join("\n");
    const also = others.length === 0 ? "" : ` Other unsafe changes: ${others.map((c) => `${c.path}: ${show(c.old)} → ${show(c.new)}`).join("; ")}.`;
    return (
      `${head}\nNot resuming ${checkpoint} in ${displayPath(dir)}: it was trained on other data (the table above has every detail).${also} ` +
      `Rerun with the data it was trained on to continue this run, use a new dir to train on the new data from scratch, ` +
      `or pass allowConfigChange: true to resume these weights on the new data (the run continues, differently from an uninterrupted one).`
    );
  },
  dataChangeAllowed(line: string): string {
    return `${line.charAt(0).toUpperCase()}${line.slice(1)}: resuming these weights on the new data (allowConfigChange: true).`;
  },
  configChangeAllowed(count: number): string {
    return `Resuming with ${plural(count, "config change")} (allowConfigChange: true).`;
  },
  stateInvalid(checkpoint: string, detail: string): string {
    return (
      `Checkpoint ${checkpoint} was not written by resumable() (state.json: ${detail}). ` +
      `Load it with CheckpointStore and the engine API, or use another dir for this run.`
    );
  },
  stateMismatch(checkpoint: string, detail: string): string {
    return `The tensors of ${checkpoint} do not fit this model (${detail}). ` + `The architecture changed: use a new dir for the new model.`;
  },
  dataCursorReset(detail: string, epoch: number): string {
    return `The data loader could not continue exactly where the checkpoint stopped (${detail}); restarting its order at epoch ${epoch}.`;
  },
  previewCaption(step: number, loss: number | undefined, kind: string, ema = false): string {
    const l = loss === undefined ? "" : ` · loss ${formatLoss(loss)}`;
    return `step ${formatCount(step)}${l} · ${kind} checkpoint${ema ? " · EMA weights" : ""}`;
  },
  freshPreviewCaption(): string {
    return "step 0 · untrained model";
  },
  noPreview(reason: string): string {
    return `No preview: ${reason}.`;
  },
  noPreviewForModel(): string {
    return "the model declares no previews (give it previews: [textPreview(), …] in defineModel)";
  },
  noUsablePreview(): string {
    return "none of the model's previews could be prepared (see the warnings above)";
  },
  /** A preview the model declares that does not fit its data or graphs: left out, training goes on. */
  previewUnusable(kind: string, detail: string): string {
    return `The model's '${kind}' preview is left out: ${detail}`;
  },
  graphsNotStored(dir: string, detail: string): string {
    return `The model's graphs could not be stored in ${displayPath(dir)}/graphs (${detail}); checkpoints are saved, but \`nbresume export\` will need the model's code for them.`;
  },
  modelGraphChanged(dir: string, checkpoint: string, before: string, now: string): string {
    return (
      `The model's code changed since ${checkpoint} was saved: its loss graph computes something else now (fingerprint ${before.slice(0, 12)}… → ${now.slice(0, 12)}…) ` +
      `although its config is the same. Resuming would train a different model with these weights. ` +
      `Restore the model's code, use a new dir for the new model, or pass allowConfigChange: true to resume anyway (the run continues, differently from an uninterrupted one).`
    );
  },
  modelGraphChangeAllowed(checkpoint: string): string {
    return `The model's code changed since ${checkpoint} (allowConfigChange): resuming with its weights.`;
  },
  previewFailed(detail: string): string {
    return `The preview could not be rendered (${detail}); training continues.`;
  },
  samplerExited(code: number): string {
    return `its thread exited with code ${code}`;
  },
  samplerStopped(detail: string): string {
    return `The sampler thread stopped (${detail}).`;
  },
  /** Said once per train(), when the sampler thread cannot start or dies. */
  samplerFallback(detail: string): string {
    return `Sample grids are drawn on the training thread from now on (training waits for each): the sampler thread is not available (${detail}).`;
  },

  // ── 3. resume ──────────────────────────────────────────────────────────────────────────────
  /** What a resume restored and, when `load` said so (or the optimizer changed), what it reset. */
  resumed(step: number, total: number, epoch: number, position: number, reset: readonly ResumePart[] = []): string {
    const all: ResumePart[] = ["optimizer", "schedule", "RNG", "data order"];
    const restored = all.filter((p) => !reset.includes(p));
    const list = (parts: readonly string[]): string => (parts.length <= 1 ? parts.join("") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`);
    const head = `Resuming at step ${formatCount(step)} of ${formatCount(total)} (epoch ${epoch}, batch ${position}): `;
    if (reset.length === 0) return `${head}optimizer, schedule, RNG and data order restored.`;
    const what: Record<ResumePart, string> = {
      optimizer: "optimizer reset (fresh moments)",
      schedule: "schedule restarted at step 0",
      RNG: "RNG reset (as a fresh run with this seed draws it)",
      "data order": "data order reset (epoch 0, batch 0)",
    };
    return `${head}weights${restored.length === 0 ? "" : `, ${list(restored)}`} restored; ${list(reset.map((r) => what[r]))}.`;
  },
  emaStarted(name: string | undefined): string {
    return name === undefined ? "ema: averaging the weights from step 0." : `ema: ${name} has no EMA weights: the average starts from its weights now.`;
  },
  alreadyStoppedEarly(step: number, name: string, metric: string, patience: number): string {
    return `This run already stopped early: ${name} is at step ${formatCount(step)} (${metric} did not improve for ${plural(patience, "evaluation")}). Nothing to train; raise earlyStopping.patience (or drop earlyStopping) to continue it.`;
  },
  alreadyFinished(step: number, steps: number, name: string): string {
    return (
      `This run already finished: ${name} is at step ${formatCount(step)} (steps: ${formatCount(steps)}). ` +
      `Nothing to train; raise steps to continue it, or use a new dir for a new run.`
    );
  },

  // ── 4./5. loop and saves ───────────────────────────────────────────────────────────────────
  training(from: number, steps: number): string {
    return from === 0 ? `Training ${formatCount(steps)} steps.` : `Training steps ${formatCount(from + 1)}–${formatCount(steps)}.`;
  },
  /** One line per step that evaluated or saved: "step 200 · val_loss 0.21 (new best) · saved rolling checkpoint → samples-step-00000200.png". */
  stepReport(step: number, parts: readonly string[]): string {
    return [`step ${formatCount(step)}`, ...parts].join(" · ");
  },
  evaluated(metrics: Readonly<Record<string, number>>, best: string | undefined): string {
    return Object.entries(metrics)
      .map(([k, v]) => `${k} ${formatLoss(v)}${k === best ? " (new best)" : ""}`)
      .join(" · ");
  },
  saved(kind: string, file: string | undefined): string {
    return `saved ${kind} checkpoint${file === undefined ? "" : ` → ${file}`}`;
  },
  /** In a step line: this checkpoint's grid was not drawn, a newer checkpoint's replaced it while the sampler was busy. */
  gridSkipped(): string {
    return "no sample grid (the sampler was busy; the next checkpoint's is drawn)";
  },
  /** The live view's line about a mirror's uploads (checkpointStore.mirror). */
  /** `ending`: training is over, and train() returns once what is still uploading is in the bucket. */
  mirrorNote(
    target: string,
    uploading: { name: string; bytes: number; totalBytes: number } | undefined,
    behind: number,
    lastUploaded: string | undefined,
    failures: number,
    lastError: string | undefined,
    ending = false,
  ): string {
    if (failures > 0)
      return `mirror ${target}: ${plural(failures, "upload")} failed in a row (${lastError ?? "no detail"}); ${ending ? "tried again as the store closes" : "tried again with the next checkpoint"}`;
    const wait = ending ? "; train() returns once it is in the bucket (or after a minute in which no upload moves)" : "";
    if (uploading !== undefined)
      return `mirror ${target}: uploading ${uploading.name} (${formatBytes(uploading.bytes)} of ${formatBytes(uploading.totalBytes)})${behind > 1 ? `, ${behind - 1} more queued` : ""}${wait}`;
    if (behind > 0) return `mirror ${target}: ${plural(behind, "checkpoint")} waiting to upload${wait}`;
    return lastUploaded === undefined ? `mirror ${target}: nothing uploaded yet` : `mirror ${target}: up to date (${lastUploaded})`;
  },
  diskUsage(dir: string, checkpoints: number, checkpointBytes: number, previews: number, previewBytes: number): string {
    return `disk: ${displayPath(dir)} holds ${plural(checkpoints, "checkpoint")} (${formatBytes(checkpointBytes)}) and ${plural(previews, "preview file")} (${formatBytes(previewBytes)})`;
  },
  saveWarning(detail: string): string {
    return `Checkpoint warning: ${detail}`;
  },
  saveFailed(step: number, detail: string): string {
    return `Saving the checkpoint of step ${formatCount(step)} failed: ${detail}. Training continues; the previous checkpoints are intact.`;
  },
  /** The last step's checkpoint could not be committed, even when tried again. */
  finalSaveFailed(step: number, attempts: number, detail: string, bucket = false): string {
    const fix = bucket ? "check the network, the endpoint and the credentials" : "free disk space or fix the directory";
    return `The final checkpoint (step ${formatCount(step)}) could not be saved after ${plural(attempts, "attempt")}: ${detail.replace(/\.$/, "")}. Training is done but its end is not saved; ${fix}, then rerun: it resumes from the newest committed checkpoint and trains to the end again.`;
  },
  finishedUnsaved(step: number, newest: string | undefined): string {
    return `Finished at step ${formatCount(step)}, but the final checkpoint was NOT saved (see above)${newest === undefined ? "" : `; the newest committed checkpoint is ${newest}`}.`;
  },
  saveFailing(failures: number, detail: string): string {
    return `Stopped training: ${plural(failures, "checkpoint save")} in a row failed (last: ${detail}). Free disk space or fix the directory, then rerun to resume from the last committed checkpoint.`;
  },
  /** The live view while background saves are failing (a warning line, and the terminal's status). */
  savesFailingNote(failures: number, limit: number): string {
    return `${plural(failures, "checkpoint save")} in a row failed (training stops at ${limit}); the warnings above say why`;
  },
  savesFailingStatus(failures: number, limit: number): string {
    return `training · ${failures}/${limit} saves failed`;
  },
  pictureNotWritten(file: string, detail: string): string {
    return `The sample grid ${displayPath(file)} could not be written (${detail}); training continues.`;
  },
  backgroundWorkFailed(detail: string): string {
    return `Work after a background save failed (${detail}); training continues.`;
  },
  afterSaveFailed(name: string, detail: string): string {
    return `Checkpoint ${name} is committed, but tidying up after it (sample grids of pruned checkpoints, disk usage) failed: ${detail}.`;
  },
  alreadySaved(kind: string): string {
    return `a ${kind} checkpoint of this step already exists; kept it`;
  },
  renderFailed(what: string, detail: string): string {
    return `${what} could not be rendered (${detail}); training continues.`;
  },
  finished(step: number, loss: number | undefined, name: string): string {
    const l = loss === undefined ? "" : ` · loss ${formatLoss(loss)}`;
    return `Finished at step ${formatCount(step)}${l} · final checkpoint ${name}.`;
  },
  /** Names only what the run wrote: previews beside checkpoints and on resume when there are any. */
  outputsAt(dir: string, besideCheckpoints: string | undefined, onResume: string | undefined): string {
    const parts = ["checkpoints (ckpt-step-*)"];
    if (besideCheckpoints !== undefined) parts.push(`previews beside them (${besideCheckpoints})`);
    if (onResume !== undefined) parts.push(`the preview on resume (${onResume})`);
    return `Outputs in ${displayPath(dir)}: ${parts.join(", ")}.`;
  },

  earlyStopped(step: number, metric: string, patience: number, best: number | null, bestStep: number | null): string {
    const b = best === null ? "" : ` on ${formatLoss(best)} (step ${formatCount(bestStep ?? 0)})`;
    return `Stopped early at step ${formatCount(step)}: ${metric} did not improve${b} for ${plural(patience, "evaluation")} (earlyStopping).`;
  },
  earlyStoppingNote(metric: string, bad: number, patience: number): string {
    return `early stopping: ${metric} not improved for ${bad}/${patience} evaluations`;
  },
  /** The divergence guard stopped the run (onNonFinite: "stop", or too many skips / roll-backs). */
  diverged(step: number, detail: string, newest: string | undefined, why: "diverged" | "too-many-skips" | "too-many-rollbacks"): string {
    const head =
      why === "too-many-skips"
        ? `Stopped at step ${formatCount(step)}: ${detail}, and that was the ${formatCount(20)}th step in a row skipped`
        : why === "too-many-rollbacks"
          ? `Stopped at step ${formatCount(step)}: ${detail} again after 3 roll-backs in a row`
          : `Stopped at step ${formatCount(step)}: ${detail}`;
    const ckpt = newest === undefined ? "there is no checkpoint yet" : `the newest checkpoint is ${newest}`;
    return `${head} — not applied, nothing non-finite saved; ${ckpt}. Lower the learning rate or clip gradients (clipGradNorm), or pass onNonFinite: "skip-step" or "rollback", then rerun to resume.`;
  },
  nonFiniteDetail(what: "loss" | "gradient", value: number | undefined): string {
    return what === "loss" ? `the loss is ${String(value)}` : `the gradient norm is ${String(value)}`;
  },
  skippedStep(detail: string): string {
    return `skipped: ${detail} (onNonFinite: "skip-step")`;
  },
  rolledBackAfterDivergence(step: number, detail: string, name: string, toStep: number): string {
    return `Step ${formatCount(step)}: ${detail} — rolled back to ${name} (step ${formatCount(toStep)}), with the data moved past the batch that diverged (onNonFinite: "rollback").`;
  },
  nonFiniteParameters(step: number, detail: string): string {
    return `The parameters at step ${formatCount(step)} are not finite (${detail}): not saved.`;
  },
  metricsMissing(has: number, resumed: number): string {
    return `metrics.jsonl has ${plural(has, "step")} but the run resumes at step ${formatCount(resumed)}: the steps it lacks (a run from before it was kept, or a file cut short) stay missing; new steps are appended.`;
  },
  /** A mirrored run whose directory had nothing as new as the bucket (a new machine): what the store copied down. */
  pulledFromMirror(name: string, target: string, skipped: readonly { name: string; problem: string }[]): string {
    const passed = skipped.length === 0 ? "" : ` (passed over ${skipped.map((s) => `${s.name}: ${s.problem}`).join("; ")})`;
    return `Copied ${name} down from the mirror ${target}: newer than anything in the directory${passed}.`;
  },
  metricsKeptAside(file: string): string {
    return `A metrics.jsonl with no checkpoint left to go with it was kept as ${displayPath(file)}.`;
  },
  recordFailed(what: string, detail: string): string {
    return `The run's record (${what}) could not be written (${detail}); training continues.`;
  },
  nextCheckpointNote(step: number | undefined, ms: number | undefined): string {
    const at = step === undefined ? undefined : `step ${formatCount(step)}`;
    const inTime = ms === undefined ? undefined : `in ${formatDuration(ms)}`;
    return `next checkpoint: ${at !== undefined && inTime !== undefined ? `${at} or ${inTime}, whichever comes first` : (at ?? inTime ?? "at the end")}`;
  },
  stoppedBecause: {
    finished(steps: number): string {
      return `trained to step ${formatCount(steps)}`;
    },
    alreadyFinished(steps: number): string {
      return `already at step ${formatCount(steps)}`;
    },
    interrupted(reason: string): string {
      return `interrupted (${reason})`;
    },
    earlyStopping(metric: string, patience: number): string {
      return `${metric} did not improve for ${plural(patience, "evaluation")}`;
    },
    readOnly(): string {
      return "the run directory cannot be written";
    },
  },

  // ── 6. interrupt ───────────────────────────────────────────────────────────────────────────
  interrupted(step: number): string {
    return `interrupted at step ${step} — emergency checkpoint saved — rerun the cell to resume`;
  },
  interruptedAlreadySaved(step: number): string {
    return `interrupted at step ${step} — checkpoint of step ${step} already saved — rerun the cell to resume`;
  },
  superseded(step: number): string {
    return `stopped at step ${step} for a newer run of the same directory — emergency checkpoint saved`;
  },
  stoppedStatus(): string {
    return "stopped: checkpoint saves failing";
  },
  stoppedSavesFailing(step: number, checkpoint: string | undefined, emergency: boolean): string {
    const resume =
      checkpoint === undefined ? "no checkpoint to resume from yet" : `${emergency ? "emergency checkpoint saved" : "newest checkpoint"}: ${checkpoint}`;
    return `stopped at step ${step} — checkpoint saves keep failing — ${resume} — fix the cause, then rerun to resume`;
  },
  emergencySaveFailed(step: number, detail: string): string {
    return (
      `Interrupted at step ${formatCount(step)}, but the emergency checkpoint could not be saved (${detail}). ` +
      `The previous committed checkpoint is intact; rerun to resume from it.`
    );
  },

  // ── roll back ──────────────────────────────────────────────────────────────────────────────
  rolledBack(target: string, step: number, moved: number, aside: string | undefined, bytes: number): string {
    return moved === 0
      ? `${target} (step ${formatCount(step)}) is already the newest checkpoint: nothing to roll back.`
      : `Rolled back to ${target} (step ${formatCount(step)}): moved ${plural(moved, "newer checkpoint")} (${formatBytes(bytes)}), with their sample grids and a copy of the run's record, to ${aside === undefined ? "" : displayPath(aside)}. ` +
          `The next train() resumes from step ${formatCount(step)}; delete that folder to free the space.`;
  },
} as const;
