/**
 * Making arbitrary text safe to show. A model's output is any sequence of UTF-16 code units:
 * terminal escapes (ESC [ 2 J clears a terminal), NUL, lone surrogates (which UTF-8 cannot encode,
 * so a notebook holding them fails to save), bidirectional overrides that reorder what follows,
 * `<script>`, and runs of backticks that would close a markdown fence. Every preview that shows
 * such text goes through these functions.
 */

export interface VisibleText {
  readonly text: string;
  /** How many characters were replaced by a visible symbol. */
  readonly replaced: number;
}

// C0 controls but tab and line feed, DEL, C1 controls, lone surrogates, and the bidirectional
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- the invisible and control characters are what it finds
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Replaces characters that would act instead of show: C0 controls by their Control Pictures
 * (ESC → ␛, NUL → ␀, CR → ␍), DEL by ␡, and C1 controls, lone surrogates and bidirectional
 * controls by U+FFFD. A CR LF pair becomes a line feed first. Tabs and line feeds stay.
 */
export function visibleText(text: string): VisibleText {
  let replaced = 0;
  const out = text.replace(/\r\n/g, "\n").replace(INVISIBLE, (c) => {
    replaced++;
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    return "\ufffd";
  });
  return { text: out, replaced };
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Escapes text for inline markdown inside a paragraph (a caption, a label): the characters that
 * could start emphasis, code, a link, a tag, an entity or a table cell, so the text shows as
 * written; line breaks become spaces. Characters that only matter at the start of a line (#, -,
 * 1.) need nothing: callers put this text after "**" or "*".
 */
export function escapeMarkdownInline(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[\\`*_[\]<>&|~!]/g, (c) => `\\${c}`);
}

/**
 * A fenced code block holding `content` verbatim: the fence is one backtick longer than the
 * longest run of backticks inside (CommonMark closes a fence only with at least as many).
 */
export function markdownFence(content: string, info = "text"): string {
  let longest = 0;
  for (const run of content.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `${fence}${info}\n${body}${fence}`;
}

/** The first `max` code points of `text` (never half a surrogate pair), and whether it was cut. */
export function cutCodePoints(text: string, max: number): { readonly text: string; readonly cut: boolean; readonly length: number } {
  let count = 0;
  let end = 0;
  for (const char of text) {
    if (count === max) return { text: text.slice(0, end), cut: true, length: codePointLength(text) };
    count++;
    end += char.length;
  }
  return { text, cut: false, length: count };
}

export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
