/**
 * The pieces the checkpoint store's message catalogs share (messages.ts, bucket-messages.ts): a
 * detail ending a sentence, a size in MiB, a lock's holder in words.
 */

/** A detail that ends a sentence, with its full stop. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** What the lock file says about its holder, for messages. */
export interface LockHolderView {
  pid: number;
  hostname: string;
  started: string;
  argv: readonly string[];
}

export function holderText(h: LockHolderView): string {
  const command = h.argv.length > 0 ? h.argv.join(" ") : "(unknown command)";
  return `pid ${h.pid} on host ${h.hostname}, since ${h.started}, command: ${command}`;
}
