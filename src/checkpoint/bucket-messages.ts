/**
 * The checkpoint store's messages about object storage (requests failing or refused, a missing
 * bucket, the writer lease) and about the mirror — part of checkpointMessages (messages.ts), which
 * tests and call sites use.
 */
import { sentence, holderText, type LockHolderView } from "./message-parts.js";

export const bucketMessages = {
  /** `seconds`: how long it was tried (said when it was long enough to matter: a writer riding out an outage). */
  remoteFailed(what: string, where: string, attempts: number, detail: string, seconds = 0): string {
    return (
      `${what} ${where} failed after ${attempts} ${attempts === 1 ? "try" : "tries"}${seconds >= 2 ? ` over ${seconds} s` : ""}: ${sentence(detail)} ` +
      `Nothing half-written is ever listed, and every committed checkpoint is intact. Check the network and the service ` +
      `(endpoint: AWS_ENDPOINT_URL_S3), then try again.`
    );
  },
  remoteDenied(what: string, where: string, detail: string): string {
    return (
      `${what} ${where} was refused: ${sentence(detail)} Check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ` +
      `AWS_PROFILE, ~/.aws/credentials) and the bucket's policy: they must allow listing, reading and writing this bucket and prefix.`
    );
  },
  /** What an S3 answer of 403 says when the service sent no error of its own (a HEAD request has no body). */
  accessDenied(): string {
    return "access denied (HTTP 403)";
  },
  bucketMissing(url: string, detail: string): string {
    return `The bucket of ${url} does not exist or cannot be seen with these credentials (${detail}). Create it, or check the name and the endpoint (AWS_ENDPOINT_URL_S3).`;
  },
  listingTooLarge(url: string, limit: number): string {
    return (
      `${url} holds more than ${limit} objects: not a run directory nbresume wrote (a run keeps a few objects per checkpoint), ` +
      `so it is not listed further. Point the store at the prefix of one run (s3://bucket/runs/NAME).`
    );
  },
  leaseHeld(url: string, holder: LockHolderView, expires: string): string {
    return (
      `${url} is leased by another writer: ${holderText(holder)}; the lease runs until ${expires} and is renewed while that writer runs. ` +
      `Only one process may write checkpoints to a prefix: stop that process or use another prefix. A writer that died ` +
      `without releasing it is taken over once the lease expires.`
    );
  },
  leaseSameProcess(url: string, holder: LockHolderView): string {
    return (
      `${url} is already open for writing in this process (${holderText(holder)}). Only one writer per prefix: call close() on ` +
      `the other CheckpointStore first (in a notebook, the store a previous cell opened), or open it with { readOnly: true } to only read.`
    );
  },
  objectChanged(url: string): string {
    return `${url} changed while it was being read (another writer replaced it); read it again.`;
  },
  mirrorUploadFailed(name: string, target: string, failures: number, detail: string): string {
    return (
      `Uploading ${name} to the mirror ${target} failed (${failures} in a row): ${sentence(detail)} ` +
      `The local checkpoint is intact; the upload is tried again with the next checkpoint and when the store closes.`
    );
  },
  mirrorBehind(target: string, names: readonly string[], detail: string): string {
    // A long outage leaves hundreds behind: the oldest and newest say which.
    const shown = names.length > 6 ? `${names.slice(0, 3).join(", ")}, … ${names.slice(-2).join(", ")} (${names.length} checkpoints)` : names.join(", ");
    const what = names.length === 0 ? "some previews or graphs were" : `${shown} ${names.length === 1 ? "was" : "were"}`;
    return (
      `The mirror ${target} is behind: ${what} not uploaded (${detail.replace(/\.$/, "")}). ` +
      `Every checkpoint is complete and safe locally. The next run of this directory with the same mirror ` +
      `(or CheckpointStore.open(dir, { mirror })) uploads ${names.length === 1 ? "it" : "them"} as it opens, in the background.`
    );
  },
  /** Why a closing mirror stopped waiting: nothing moved for `seconds`. */
  mirrorGaveUp(lastError: string | undefined, seconds: number): string {
    return `no upload made progress for ${seconds} s, so the store stopped waiting${lastError === undefined ? "" : `; the last failure: ${lastError.replace(/\.$/, "")}`}`;
  },
  mirrorPulled(name: string, target: string, skipped: readonly { name: string; problem: string }[]): string {
    const passed = skipped.length === 0 ? "" : ` (passed over: ${skipped.map((s) => `${s.name}: ${s.problem}`).join("; ")})`;
    return `Copied ${name} from the mirror ${target}, where it is the newest checkpoint that verifies${passed}.`;
  },
  copyFailed(name: string, from: string, to: string, detail: string): string {
    return `Copying ${name} from ${from} to ${to} failed: ${sentence(detail)} Nothing half-copied is listed; every checkpoint in both places is as it was.`;
  },
  mirrorOnlyLocal(mirror: string, dir: string): string {
    return `mirror: ${JSON.stringify(mirror)} mirrors a local directory to object storage, but the store is ${dir}; give a local dir and mirror: "s3://bucket/prefix".`;
  },
} as const;
