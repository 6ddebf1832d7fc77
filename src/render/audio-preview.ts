/**
 * Audio as a preview: what a TTS or audio model says at each checkpoint, playable in the
 * notebook. Each clip is a WAV (wav.ts) inlined as a data: URI in an <audio> element and saved
 * beside the checkpoint; a small waveform plot goes to the live view.
 *
 * Notebooks keep every output's bytes, so inline audio is capped: each clip plays at most
 * `maxSeconds` (the saved file has all of it), and once the preview holds `maxInlineBytes` of
 * audio further clips are listed but not inlined.
 */
import { lineSpec } from "./line-spec.js";
import { renderMessages } from "./messages.js";
import { renderPlotPreview } from "./plot-preview.js";
import type { PreviewFile, RenderedPreview } from "./rendered-preview.js";
import { escapeHtml, visibleText } from "./safe-text.js";
import { encodeWav, WAV_LIMITS } from "./wav.js";

export interface AudioClip {
  /** Mono samples, nominally in [-1, 1]; outside is clipped, NaN is silence (both counted). */
  readonly samples: Float32Array;
  /** Samples per second. */
  readonly sampleRate: number;
  readonly label?: string;
}

export interface AudioPreviewOptions {
  readonly clips: readonly AudioClip[];
  /** One line above the players, e.g. "step 4,000 · loss 0.82". May be empty. */
  readonly caption: string;
  /** Seconds of each clip playable inline. Default 30. */
  readonly maxSeconds?: number;
  /** Audio bytes inlined in all; later clips are listed but not playable inline. Default 16 MiB. */
  readonly maxInlineBytes?: number;
  /** Draw the waveforms as `image` (needs vega, ~0.2 s). Default true. */
  readonly waveform?: boolean;
}

export const AUDIO_PREVIEW_DEFAULTS = { maxSeconds: 30, maxInlineBytes: 16 * 1024 * 1024, waveformPoints: 600 } as const;

const WHERE = "renderAudioPreview";

interface PreparedClip {
  readonly label: string;
  readonly seconds: number;
  readonly sampleRate: number;
  /** What plays inline: the clip, or its first maxSeconds. */
  readonly shown: Float32Array;
  readonly file: Uint8Array;
  readonly notes: readonly string[];
  readonly inline: Uint8Array | undefined;
}

/** Renders audio clips as <audio> players (text/html) and text/plain; files "-0.wav", "-1.wav"… (".wav" for one). */
export async function renderAudioPreview(options: AudioPreviewOptions): Promise<RenderedPreview> {
  if (typeof options !== "object" || options === null || !Array.isArray(options.clips) || options.clips.length === 0) {
    throw new TypeError(renderMessages.previewBadOption(WHERE, "clips", options?.clips, "a non-empty array of { samples: Float32Array, sampleRate, label? }"));
  }
  const { clips, caption } = options;
  if (typeof caption !== "string") throw new TypeError(renderMessages.previewBadOption(WHERE, "caption", caption, "a string"));
  const maxSeconds = options.maxSeconds ?? AUDIO_PREVIEW_DEFAULTS.maxSeconds;
  if (!(maxSeconds > 0 && maxSeconds <= 3600))
    throw new RangeError(renderMessages.previewBadOption(WHERE, "maxSeconds", maxSeconds, "a number of seconds in (0, 3600]"));
  const maxInlineBytes = options.maxInlineBytes ?? AUDIO_PREVIEW_DEFAULTS.maxInlineBytes;
  if (!Number.isInteger(maxInlineBytes) || maxInlineBytes < 0) {
    throw new RangeError(renderMessages.previewBadOption(WHERE, "maxInlineBytes", maxInlineBytes, "a whole number of bytes"));
  }

  // 1. Each clip: its file (all of it), what plays inline (cut), and what to say about it.
  let inlineBytes = 0;
  const prepared: PreparedClip[] = clips.map((clip: AudioClip, i) => {
    if (typeof clip !== "object" || clip === null || !(clip.samples instanceof Float32Array)) {
      throw new TypeError(
        renderMessages.audioBadClip(
          i,
          `must be { samples: Float32Array, sampleRate, label? }, got samples ${String(clip?.samples?.constructor?.name ?? clip?.samples)}`,
        ),
      );
    }
    const { samples, sampleRate } = clip;
    if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > WAV_LIMITS.maxSampleRate) {
      throw new RangeError(
        renderMessages.audioBadClip(i, `sampleRate must be an integer number of Hz from 1 to ${WAV_LIMITS.maxSampleRate}, got ${String(sampleRate)}`),
      );
    }
    if (clip.label !== undefined && typeof clip.label !== "string")
      throw new TypeError(renderMessages.audioBadClip(i, `label must be a string, got ${typeof clip.label}`));
    const label = visibleText(clip.label ?? `clip ${i + 1}`)
      .text.replace(/\s+/g, " ")
      .trim();
    const wav = encodeWav({ channels: samples, sampleRate });
    const seconds = samples.length / sampleRate;
    const keep = Math.min(samples.length, Math.floor(maxSeconds * sampleRate));
    const shown = samples.subarray(0, keep);
    const notes: string[] = [];
    if (keep < samples.length) notes.push(renderMessages.audioCut(seconds, keep / sampleRate));
    if (wav.nonFinite > 0) notes.push(renderMessages.audioNonFinite(wav.nonFinite));
    if (wav.clipped > 0) notes.push(renderMessages.audioClipped(wav.clipped));
    let inline: Uint8Array | undefined = keep < samples.length ? encodeWav({ channels: shown, sampleRate }).bytes : wav.bytes;
    if (inlineBytes + inline.length > maxInlineBytes) {
      inline = undefined;
      notes.push(renderMessages.audioNotInlined(maxInlineBytes));
    } else inlineBytes += inline.length;
    return { label, seconds, sampleRate, shown, file: wav.bytes, notes, inline };
  });

  // 2. Text, HTML and files.
  const head = visibleText(caption).text.replace(/\s+/g, " ").trim();
  const summary = renderMessages.audioSummary(
    prepared.length,
    prepared.reduce((s, c) => s + c.seconds, 0),
  );
  const line = (c: PreparedClip): string => [renderMessages.audioClipLine(c.label, c.seconds, c.sampleRate), ...c.notes].join(" · ");
  const plain = [...(head === "" ? [] : [head]), summary, ...prepared.map(line)].join("\n");
  const html = audioHtml(head, summary, prepared, line);
  const files: PreviewFile[] = prepared.map((c, i) => ({ suffix: prepared.length === 1 ? ".wav" : `-${i}.wav`, bytes: c.file }));

  // 3. The waveforms, for the live view.
  let image: RenderedPreview["image"];
  if (options.waveform ?? true) {
    const used = new Map<string, number>();
    const series = prepared.map((c) => {
      const n = (used.get(c.label) ?? 0) + 1;
      used.set(c.label, n);
      const x = new Float64Array(c.shown.length);
      for (let k = 0; k < x.length; k++) x[k] = k / c.sampleRate;
      return { name: n === 1 ? c.label : `${c.label} (${n})`, y: c.shown, x };
    });
    const spec = lineSpec({ series, xTitle: "seconds", yTitle: "amplitude", height: 220, maxPoints: AUDIO_PREVIEW_DEFAULTS.waveformPoints });
    image = (await renderPlotPreview({ spec, caption: head === "" ? renderMessages.audioWaveformTitle() : head })).image;
  }
  return { bundle: { "text/html": html, "text/plain": plain }, files, ...(image !== undefined && { image }), summary };
}

function audioHtml(head: string, summary: string, clips: readonly PreparedClip[], line: (c: PreparedClip) => string): string {
  const parts = ['<div class="nbresume-audio-preview">'];
  if (head !== "") parts.push(`<div style="font-weight:600">${escapeHtml(head)}</div>`);
  parts.push(`<div style="color:#555555;font-size:90%">${escapeHtml(summary)}</div>`);
  parts.push('<div style="display:flex;flex-wrap:wrap;gap:4px 16px">');
  for (const clip of clips) {
    parts.push(`<figure style="margin:4px 0"><figcaption style="font-size:90%">${escapeHtml(line(clip))}</figcaption>`);
    if (clip.inline !== undefined) {
      const base64 = Buffer.from(clip.inline.buffer, clip.inline.byteOffset, clip.inline.byteLength).toString("base64");
      parts.push(`<audio controls preload="metadata" src="data:audio/wav;base64,${base64}"></audio>`);
    }
    parts.push("</figure>");
  }
  parts.push("</div></div>");
  return parts.join("");
}
