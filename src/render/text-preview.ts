/**
 * Generated text as a preview: what a language model writes at each checkpoint, the prompt set
 * apart from the continuation. One bundle for every front end (plain text for a terminal,
 * markdown, HTML) and the same text saved as .txt and .md beside the checkpoint.
 *
 * The text is the model's: any characters at all. Everything shown goes through safe-text.ts
 * (controls made visible, HTML escaped, fences longer than any backtick run inside).
 */
import type { RenderedPreview } from "./rendered-preview.js";
import { renderMessages } from "./messages.js";
import { cutCodePoints, escapeHtml, escapeMarkdownInline, markdownFence, visibleText } from "./safe-text.js";

export interface TextSample {
  /** What the model was given; shown apart from (before) the generated text. */
  readonly prompt?: string;
  /** What the model generated. */
  readonly text: string;
  /** A name for the sample, e.g. "temperature 0.8" or the validation example's id. */
  readonly label?: string;
}

export interface TextPreviewOptions {
  readonly samples: readonly TextSample[];
  /** One line above the samples, e.g. "step 12,000 · loss 1.93". May be empty. */
  readonly caption: string;
  /** Characters shown per prompt and per text; longer ones are cut with "…". Default 2,000. */
  readonly maxChars?: number;
}

export const TEXT_PREVIEW_DEFAULTS = { maxChars: 2000 } as const;

/** The colors the HTML uses for the prompt, so a reader tells it from the continuation. */
export const TEXT_PREVIEW_STYLE = {
  prompt: "color:#6a6a6a;background:#eef1f5;border-radius:2px",
  text: "color:#111111",
} as const;

interface PreparedSample {
  readonly label: string | undefined;
  readonly prompt: string | undefined;
  readonly text: string;
  /** Code points in the generated text before any cut. */
  readonly length: number;
  readonly cut: boolean;
}

/** Renders generated text samples as text/plain, text/markdown and text/html. */
export function renderTextPreview(options: TextPreviewOptions): RenderedPreview {
  const where = "renderTextPreview";
  if (typeof options !== "object" || options === null) throw new TypeError(renderMessages.textNoSamples());
  const { samples, caption } = options;
  if (!Array.isArray(samples) || samples.length === 0) throw new TypeError(renderMessages.textNoSamples());
  if (typeof caption !== "string") throw new TypeError(renderMessages.previewBadOption(where, "caption", caption, "a string"));
  const maxChars = options.maxChars ?? TEXT_PREVIEW_DEFAULTS.maxChars;
  if (!Number.isInteger(maxChars) || maxChars < 1 || maxChars > 1_000_000) {
    throw new RangeError(renderMessages.previewBadOption(where, "maxChars", maxChars, "an integer from 1 to 1,000,000"));
  }

  let replaced = 0;
  const visible = (s: string): string => {
    const v = visibleText(s);
    replaced += v.replaced;
    return v.text;
  };
  const prepared: PreparedSample[] = samples.map((sample: TextSample, i) => {
    if (typeof sample !== "object" || sample === null) throw new TypeError(renderMessages.textBadSample(i, "text", sample));
    for (const field of ["text", "prompt", "label"] as const) {
      const value: unknown = sample[field];
      if (typeof value !== "string" && (field === "text" || value !== undefined)) {
        throw new TypeError(renderMessages.textBadSample(i, field, value));
      }
    }
    // Cut before making characters visible, so maxChars counts the model's characters.
    const text = cutCodePoints(sample.text, maxChars);
    const prompt = sample.prompt === undefined ? undefined : cutCodePoints(sample.prompt, maxChars);
    return {
      // One line: a label heads its sample in every form (a line break would end a markdown heading).
      label: sample.label === undefined ? undefined : visible(sample.label).replace(/\s+/g, " ").trim(),
      prompt: prompt === undefined ? undefined : visible(prompt.text) + (prompt.cut ? "…" : ""),
      text: visible(text.text) + (text.cut ? "…" : ""),
      length: text.length,
      cut: text.cut || prompt?.cut === true,
    };
  });
  const safeCaption = visible(caption).trim();

  const lengths = prepared.map((s) => s.length);
  const summary = renderMessages.textSummary(prepared.length, Math.min(...lengths), Math.max(...lengths));
  const notes: string[] = [];
  const cutCount = prepared.filter((s) => s.cut).length;
  if (cutCount > 0) notes.push(renderMessages.textCut(cutCount, maxChars));
  if (replaced > 0) notes.push(renderMessages.textReplaced(replaced));

  const plain = plainText(safeCaption, summary, notes, prepared);
  const markdown = markdownText(safeCaption, summary, notes, prepared);
  const html = htmlText(safeCaption, summary, notes, prepared);
  const utf8 = new TextEncoder();
  return {
    bundle: { "text/plain": plain, "text/markdown": markdown, "text/html": html },
    files: [
      { suffix: ".txt", bytes: utf8.encode(`${plain}\n`) },
      { suffix: ".md", bytes: utf8.encode(`${markdown}\n`) },
    ],
    summary,
  };
}

function heading(sample: PreparedSample, index: number): string {
  return sample.label === undefined ? `${index + 1}` : `${index + 1} · ${sample.label}`;
}

/** Gutter-labelled lines: "prompt │ …" then "  text │ …", so a terminal shows where the model took over. */
function plainText(caption: string, summary: string, notes: readonly string[], samples: readonly PreparedSample[]): string {
  const lines: string[] = [];
  if (caption !== "") lines.push(caption);
  lines.push([summary, ...notes].join(" · "));
  const gutter = (name: string, text: string): void => {
    text.split("\n").forEach((line, k) => lines.push(`${k === 0 ? name : "      "} │ ${line}`));
  };
  samples.forEach((sample, i) => {
    lines.push("", `[${heading(sample, i)}]`);
    if (sample.prompt !== undefined) gutter("prompt", sample.prompt);
    gutter("  text", sample.text);
  });
  return lines.join("\n");
}

function markdownText(caption: string, summary: string, notes: readonly string[], samples: readonly PreparedSample[]): string {
  const blocks: string[] = [];
  if (caption !== "") blocks.push(`**${escapeMarkdownInline(caption)}**`);
  blocks.push(`*${escapeMarkdownInline([summary, ...notes].join(" · "))}*`);
  samples.forEach((sample, i) => {
    blocks.push(`**${escapeMarkdownInline(heading(sample, i))}**`);
    if (sample.prompt !== undefined) blocks.push("prompt:", markdownFence(sample.prompt), "generated:");
    blocks.push(markdownFence(sample.text));
  });
  return blocks.join("\n\n");
}

function htmlText(caption: string, summary: string, notes: readonly string[], samples: readonly PreparedSample[]): string {
  const S = TEXT_PREVIEW_STYLE;
  const hasPrompt = samples.some((s) => s.prompt !== undefined);
  const subtitle = [summary, ...(hasPrompt ? [renderMessages.textPromptLegend()] : []), ...notes].join(" · ");
  const parts: string[] = ['<div class="nbresume-text-preview">'];
  if (caption !== "") parts.push(`<div style="font-weight:600">${escapeHtml(caption)}</div>`);
  parts.push(`<div style="color:#555555;font-size:90%;margin-bottom:4px">${escapeHtml(subtitle)}</div>`);
  samples.forEach((sample, i) => {
    parts.push(
      `<div style="margin:6px 0"><div style="font-size:90%;color:#333333">${escapeHtml(heading(sample, i))}</div>`,
      '<pre style="white-space:pre-wrap;overflow-wrap:anywhere;max-height:24em;overflow:auto;margin:2px 0;padding:4px 6px;border:1px solid #dddddd">',
    );
    if (sample.prompt !== undefined) parts.push(`<span class="prompt" title="prompt" style="${S.prompt}">${escapeHtml(sample.prompt)}</span>`);
    parts.push(`<span class="generated" style="${S.text}">${escapeHtml(sample.text)}</span></pre></div>`);
  });
  parts.push("</div>");
  return parts.join("");
}
