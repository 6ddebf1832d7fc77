/**
 * Where a run starts (resumable()'s step 1), given what the directory holds and the options:
 *
 *   onExisting   resume (default) · fresh: everything moved aside, start over · ask: the user
 *                chooses (a terminal asks; a notebook shows the choice and stops) · error: refuse
 *                another run's checkpoints
 *   resumeFrom   auto (default) · latest · best · best-previous · step:N · a checkpoint directory ·
 *                none (start over)
 *   load         { schedule: false }: a new run (step 0) from the checkpoint's weights
 *
 * Candidates for the ref are tried in the store's order (newest first, best first…), each read
 * once (the read verifies every byte): a damaged one, one whose metrics diverged and one whose
 * parameters are not finite are passed over and said so; the caller then validates the one found
 * (its preview, a metric) and asks next() for the one after when it fails.
 *
 * Nothing is ever deleted or overwritten: going back to an older checkpoint than the newest moves
 * the newer ones into DIR/rolled-back-<time>/ (set-aside.ts) once the run has settled on it, so
 * the directory holds one line of training. A rerun of the same request with the same config
 * (the line's origin, in every checkpoint's state) continues the line instead of starting it again.
 */
import * as path from "node:path";
import { diffConfigs } from "../shared/config-diff.js";
import { CheckpointErrorCode, checkpointMessages as storeMessages, summarizeProblems } from "../checkpoint/messages.js";
import { parseCheckpointDirName } from "../checkpoint/naming.js";
import { candidatesFor, type ParsedRef } from "../checkpoint/resolve.js";
import { compareNewestFirst } from "../checkpoint/retention.js";
import { isUrlLocation, joinLocation, normalizeLocation, parentLocation } from "../checkpoint/storage/location.js";
import type { CheckpointInfo, CheckpointStore, LoadedCheckpoint } from "../checkpoint/store.js";
import { divergedProblems } from "../checkpoint/verify.js";
import type { JsonObject } from "../engine/nn/json.js";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { TensorGroup } from "../tensor.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import { setMirrored } from "./metrics-file.js";
import { pullRunRecord } from "./mirror-record.js";
import { rememberRunSettings } from "./run-files.js";
import type { ResolvedOptions } from "./options.js";
import { changeRows, judgeConfigDiff, sameRun, type JudgedChange } from "./run-config.js";
import type { RunOutput } from "./run-output.js";
import { parseRunState, type RunOrigin, type RunState } from "./run-state.js";
import { setAside, type SetAside } from "./set-aside.js";

/** A checkpoint read and checked (files verified, state parsed, parameters finite), not yet validated. */
export interface Candidate {
  readonly loaded: LoadedCheckpoint;
  readonly saved: RunState;
}

export type Start =
  | { readonly kind: "scratch"; readonly origin: RunOrigin }
  | {
      readonly kind: "checkpoint";
      readonly candidate: Candidate;
      /** The line this run is on (the candidate's own, or a new one this request starts). */
      readonly origin: RunOrigin;
      /** load.schedule false: a new run at step 0 from the candidate's weights. */
      readonly restart: boolean;
    };

/** The first non-finite value of a tensor group, named ("fc1.weight: 12 of 784 values are NaN or infinite"), or undefined. */
export function nonFiniteTensors(group: TensorGroup | undefined): string | undefined {
  for (const [name, t] of Object.entries(group ?? {})) {
    if (t.dtype !== "float32") continue;
    const data = t.data as Float32Array;
    let bad = 0;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) bad++;
    if (bad > 0) return `${name}: ${bad} of ${data.length} values are NaN or infinite`;
  }
  return undefined;
}

/** The run state a checkpoint's state.json holds (verified against its manifest; the data files are not read), or undefined. */
async function peekState(store: CheckpointStore, info: CheckpointInfo): Promise<RunState | undefined> {
  try {
    const parsed = parseRunState((await store.readState(info)).state);
    return "state" in parsed ? parsed.state : undefined;
  } catch {
    return undefined;
  }
}

const SCRATCH_REQUESTS = new Set(["fresh", "resumeFrom:none"]);

/**
 * resumeFrom as the store's ref kinds; "none" is handled before. A bare checkpoint name is the one
 * in `dir` (a directory or s3://bucket/prefix); a URL is taken as written, a path made absolute.
 */
function classify(ref: string, dir: string): ParsedRef {
  if (ref === "auto" || ref === "latest") return { type: ref };
  if (ref === "best" || ref === "best-previous") return { type: "best", rank: ref === "best" ? 1 : 2 };
  const step = /^step:(\d+)$/.exec(ref);
  if (step !== null) return { type: "step", step: Number(step[1]) };
  if (!ref.includes("/") && !ref.includes(path.sep) && parseCheckpointDirName(ref) !== undefined) return { type: "path", path: joinLocation(dir, ref) };
  return { type: "path", path: isUrlLocation(ref) ? normalizeLocation(ref) : path.resolve(ref) };
}

/** What starting over said: in a bucket, the pictures and the record stay in the prefix. */
function setAsideAllMessage(why: string, moved: SetAside): string {
  return moved.recordMoved
    ? msg.setAsideAll(why, moved.moved.length, moved.bytes, moved.folder)
    : msg.setAsideAllInBucket(why, moved.moved.length, moved.bytes, moved.folder);
}

export class ResumePlanner {
  private listing: CheckpointInfo[] = [];
  private order: CheckpointInfo[] = [];
  private passOverDiverged = true;
  private ref = "auto";
  /** Passed over since the last candidate found; said once the next one is found. */
  private skipped: { name: string; say: (using: string | undefined) => string; problem: string }[] = [];
  private failedValidation: { name: string; reason: string }[] = [];
  private origin: RunOrigin | undefined;
  private restart = false;

  constructor(
    private readonly store: CheckpointStore,
    private readonly o: ResolvedOptions,
    private readonly config: JsonObject,
    private readonly out: RunOutput,
  ) {}

  /** Decides how the run starts; for a checkpoint, the first candidate (the caller validates it). */
  async first(): Promise<Start> {
    const o = this.o;
    // A mirrored run on a new machine: the store copied the bucket's newest checkpoint down when it
    // opened; its record comes down too, and goes up with each change (metrics-file.ts).
    const mirror = this.store.backgroundStatus.mirror;
    setMirrored(this.store.dir, mirror !== undefined);
    rememberRunSettings(this.store.dir, o.checkpointStore.s3);
    if (mirror?.pulled !== undefined) {
      this.out.info(msg.pulledFromMirror(mirror.pulled.name, mirror.target, mirror.pulled.skipped));
      await pullRunRecord(this.store, mirror.target, o.checkpointStore.s3);
    }
    this.listing = (await this.store.list()).checkpoints;
    const newest = [...this.listing].sort(compareNewestFirst)[0];
    const at = new Date().toISOString();
    if (newest === undefined) {
      // An empty directory: a path outside it can still be resumed; any other ref finds nothing.
      if (o.resumeFrom !== "auto" && o.resumeFrom !== "latest" && o.resumeFrom !== "none") {
        const parsed = classify(o.resumeFrom, this.store.dir);
        if (parsed.type === "path") return this.fromPath(parsed.path, at);
        await this.store.resolve(o.resumeFrom); // throws CHECKPOINT_NOT_FOUND, naming the ref
      }
      return { kind: "scratch", origin: { request: this.request("resume") ?? "new", from: null, step: 0, at } };
    }

    const head = await peekState(this.store, newest);
    const changes = head === undefined ? undefined : judgeConfigDiff(diffConfigs(head.config, this.config), head.config);
    const same = changes !== undefined && sameRun(changes);
    let decision: "resume" | "fresh" = "resume";
    if (o.onExisting === "fresh") decision = "fresh";
    else if (o.onExisting === "error" && !same) {
      const shown =
        changes === undefined
          ? ["(its state.json cannot be read)"]
          : changeRows(
              changes.filter((c) => c.severity !== "harmless"),
              (s) => msg.severityLabel(s),
            ).map(([p, d]) => `${p}: ${d}`);
      throw new NbresumeError(RunErrorCode.DIR_HAS_RUN, msg.dirHasRun(this.store.dir, this.listing.length, newest.name, shown), { where: this.store.dir });
    } else if (o.onExisting === "ask") decision = await this.ask(newest, same, changes);

    const request = this.request(decision);
    let continuing = false;
    if (request !== undefined && same && head?.origin?.request === request) {
      // The same cell rerun: it continues the line it started.
      continuing = true;
      this.out.info(msg.continuingLine(request.replace(/^resumeFrom:/, "resumeFrom: "), head.origin.from, head.origin.step, newest.name));
    }
    if (!continuing && request !== undefined && SCRATCH_REQUESTS.has(request)) {
      const moved = await setAside(this.store, this.listing, true);
      this.out.info(setAsideAllMessage(request === "fresh" ? msg.freshChosen() : msg.noneChosen(), moved));
      return { kind: "scratch", origin: { request, from: null, step: 0, at } };
    }
    this.ref = continuing ? "auto" : o.resumeFrom;
    this.restart = !continuing && !o.load.schedule;
    const parsed = classify(this.ref, this.store.dir);
    if (parsed.type === "path") return this.fromPath(parsed.path, at, request);
    const latest = parsed.type === "latest" ? await this.store.latest().then((p) => ("name" in p ? p.name : undefined)) : undefined;
    this.order = candidatesFor(parsed, this.listing, { latest, bestMetric: o.bestMetric }).candidates;
    this.passOverDiverged = parsed.type !== "step";
    if (this.order.length === 0) await this.store.resolve(this.ref); // throws CHECKPOINT_NOT_FOUND, naming the ref and why
    const candidate = await this.nextCandidate();
    return { kind: "checkpoint", candidate, origin: this.originFor(candidate, request, at), restart: this.restart };
  }

  /** The candidate after one that failed validation (`reason`: what the validation said). */
  async next(failed: Candidate, reason: string): Promise<Candidate> {
    this.failedValidation.push({ name: failed.loaded.name, reason });
    return this.nextCandidate();
  }

  /** The origin of the line the run continues on with `candidate` (after a fallback too). */
  originOf(candidate: Candidate): RunOrigin {
    return this.origin ?? candidate.saved.origin ?? { request: "new", from: null, step: 0, at: new Date().toISOString() };
  }

  /**
   * The run settled on `candidate`: checkpoints newer than it are moved aside (or, for a
   * weights-only restart, all of them, itself included), and `latest` names it. Returns where the
   * candidate is now.
   */
  async settle(candidate: Candidate): Promise<string> {
    const dir = this.store.dir;
    const loaded = candidate.loaded;
    const inside = parentLocation(loaded.path) === dir;
    if (this.restart) {
      const moved = await setAside(this.store, this.listing, true);
      if (moved.moved.length > 0) this.out.info(setAsideAllMessage(msg.restartChosen(loaded.name, loaded.step), moved));
      return inside && moved.moved.includes(loaded.name) ? joinLocation(moved.folder, loaded.name) : loaded.path;
    }
    const self = { step: loaded.step, created: loaded.created, name: loaded.name };
    const newer = this.listing.filter((c) => (inside ? c.name !== loaded.name && compareNewestFirst(c, self) < 0 : c.step >= loaded.step));
    if (newer.length === 0) return loaded.path;
    const moved = await setAside(this.store, newer, false);
    if (inside) await this.store.pointLatestAt(loaded.name);
    this.out.info(msg.setAsideNewer(loaded.name, loaded.step, moved.moved.length, moved.bytes, moved.folder));
    return loaded.path;
  }

  /** "fresh", "resumeFrom:<ref>" (with "+restart" for a weights-only restart), or undefined for a plain resume. */
  private request(decision: "resume" | "fresh"): string | undefined {
    if (decision === "fresh") return "fresh";
    const ref = this.o.resumeFrom;
    const restart = !this.o.load.schedule;
    if ((ref === "auto" || ref === "latest") && !restart) return undefined;
    return `resumeFrom:${ref}${restart && ref !== "none" ? "+restart" : ""}`;
  }

  private originFor(candidate: Candidate, request: string | undefined, at: string): RunOrigin {
    if (request === undefined) return this.originOf(candidate);
    this.origin = { request, from: candidate.loaded.name, step: this.restart ? 0 : candidate.loaded.step, at };
    return this.origin;
  }

  private async fromPath(dir: string, at: string, request = this.request("resume")): Promise<Start> {
    this.order = [];
    const loaded = await this.store.load(dir);
    const candidate = this.checked(loaded);
    const problem = nonFiniteTensors(loaded.tensors["model"]);
    if (problem !== undefined)
      throw new NbresumeError(RunErrorCode.VALIDATION_FAILED, msg.skippedNonFinite(loaded.name, problem, undefined), { where: loaded.path });
    this.restart = !this.o.load.schedule;
    return { kind: "checkpoint", candidate, origin: this.originFor(candidate, request, at), restart: this.restart };
  }

  private checked(loaded: LoadedCheckpoint): Candidate {
    const parsed = parseRunState(loaded.state);
    if ("problem" in parsed) throw new NbresumeError(RunErrorCode.STATE_INVALID, msg.stateInvalid(loaded.name, parsed.problem), { where: loaded.path });
    return { loaded, saved: parsed.state };
  }

  /** The next candidate that loads (verified), has a run state and finite parameters; the ones passed over are said once it is found. */
  private async nextCandidate(): Promise<Candidate> {
    for (;;) {
      const c = this.order.shift();
      if (c === undefined) return this.noneLeft();
      const special = (c.problems ?? []).filter((p) => p.kind === "special");
      const diverged = this.passOverDiverged ? divergedProblems(c.manifest) : [];
      if (special.length > 0 || diverged.length > 0) {
        const problem = summarizeProblems(special.length > 0 ? special : diverged);
        this.skipped.push({
          name: c.name,
          problem,
          say: (using) =>
            special.length > 0 ? msg.skippedCheckpoint(c.name, problem, using ?? "(none)") : msg.skippedDiverged(c.name, problem, using ?? "(none)"),
        });
        continue;
      }
      let loaded: LoadedCheckpoint;
      try {
        loaded = await this.store.load(c);
      } catch (error) {
        if (!isNbresumeError(error, CheckpointErrorCode.CORRUPT)) throw error;
        const check = await this.store.verify(c).catch(() => undefined);
        if (check === undefined) continue; // gone meanwhile
        const problem = check.problems.length > 0 ? summarizeProblems(check.problems) : error.message;
        this.skipped.push({ name: c.name, problem, say: (using) => msg.skippedCheckpoint(c.name, problem, using ?? "(none)") });
        continue;
      }
      const nonFinite = nonFiniteTensors(loaded.tensors["model"]);
      if (nonFinite !== undefined) {
        this.skipped.push({ name: c.name, problem: nonFinite, say: (using) => msg.skippedNonFinite(c.name, nonFinite, using) });
        continue;
      }
      const candidate = this.checked(loaded);
      for (const s of this.skipped) this.out.warn(s.say(loaded.name));
      this.skipped = [];
      return candidate;
    }
  }

  private noneLeft(): never {
    const dir = this.store.dir;
    if (this.failedValidation.length > 0) {
      for (const s of this.skipped) this.failedValidation.push({ name: s.name, reason: s.problem });
      throw new NbresumeError(RunErrorCode.VALIDATION_FAILED, msg.noneValidates(dir, this.failedValidation), { where: dir });
    }
    throw new NbresumeError(CheckpointErrorCode.CORRUPT, storeMessages.noneVerified(this.ref, dir, this.skipped), { where: dir });
  }

  /** onExisting: "ask": a terminal asks; elsewhere the same run resumes, another one is shown the choice and stops. */
  private async ask(newest: CheckpointInfo, same: boolean, changes: readonly JudgedChange[] | undefined): Promise<"resume" | "fresh"> {
    const dir = this.store.dir;
    if (this.out.ask !== undefined) {
      const answer = await this.out.ask(msg.askQuestion(dir, this.listing.length, newest.name, newest.step));
      if (answer !== undefined) return answer ? "resume" : "fresh";
      throw new NbresumeError(RunErrorCode.NEEDS_ANSWER, msg.cannotAsk("no-terminal"), { where: dir });
    }
    if (same) return "resume";
    if (changes !== undefined && changes.length > 0)
      this.out.table({ title: msg.configDiffTitle(), columns: ["setting", "checkpoint → now"], rows: changeRows(changes, (s) => msg.severityLabel(s)) });
    this.out.table({
      title: msg.askTitle(dir, this.listing.length, newest.name, newest.step),
      columns: ["rerun with", "what it does"],
      rows: msg.askChoices(dir, newest.step),
    });
    throw new NbresumeError(RunErrorCode.NEEDS_ANSWER, msg.cannotAsk("notebook"), { where: dir });
  }
}
