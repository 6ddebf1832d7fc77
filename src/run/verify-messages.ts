/**
 * The run's messages of steps 2 (verify + preview) — part of runMessages (messages.ts), which
 * tests and call sites use; a file of its own so each catalog stays one screenful of concerns.
 */
import type { DataChange } from "./data-changes.js";
import { displayPath } from "./display-path.js";
import { plural, show, initReportParts, type ChangeSeverity } from "./message-parts.js";
import { formatBytes, formatCount, formatLoss } from "../shared/format.js";

export const verifyMessages = {
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
} as const;
