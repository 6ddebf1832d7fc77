/**
 * Audio as a preview: one playable <audio> per clip whose data: URI is a WAV of the clip, files
 * per clip, the inline cap (seconds per clip, bytes in all) said when it cuts, labels escaped,
 * and a waveform picture for the live view.
 */
import { strict as assert } from "node:assert";
import { checkBundle } from "../../src/notebook/mime-bundle.js";
import { renderAudioPreview } from "../../src/render/audio-preview.js";
import { decodePng } from "../../src/render/image.js";
import { renderMessages as msg } from "../../src/render/messages.js";
import { decodeWav } from "../../src/render/wav.js";

function tone(seconds: number, sampleRate: number, hz = 440, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sampleRate) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate));
}

/** The WAV bytes of every <audio src="data:audio/wav;base64,…"> in the HTML, in order. */
function inlineWavs(html: string): Uint8Array[] {
  return [...html.matchAll(/<audio controls preload="metadata" src="data:audio\/wav;base64,([A-Za-z0-9+/=]+)"><\/audio>/g)].map(
    (m) => new Uint8Array(Buffer.from(m[1]!, "base64")),
  );
}

describe("render/audio-preview", () => {
  it("inlines one playable WAV per clip with its label, saves -0.wav, -1.wav, and draws the waveforms", async () => {
    const clips = [
      { samples: tone(0.5, 16_000), sampleRate: 16_000, label: "the cat sat" },
      { samples: tone(0.25, 22_050, 220), sampleRate: 22_050 },
    ];
    const preview = await renderAudioPreview({ clips, caption: "step 2,000" });
    checkBundle(preview.bundle);
    assert.deepEqual(Object.keys(preview.bundle).sort(), ["text/html", "text/plain"]);
    const html = preview.bundle["text/html"] as string;
    const wavs = inlineWavs(html);
    assert.equal(wavs.length, 2);
    wavs.forEach((bytes, i) => {
      const wav = decodeWav(bytes);
      assert.deepEqual([wav.sampleRate, wav.channels.length, wav.frames], [clips[i]!.sampleRate, 1, clips[i]!.samples.length]);
      wav.channels[0]!.forEach((v, k) => assert.ok(Math.abs(v - clips[i]!.samples[k]!) <= 1 / 32767));
    });
    assert.ok(html.includes(`<figcaption style="font-size:90%">${msg.audioClipLine("the cat sat", 0.5, 16_000)}</figcaption>`));
    assert.ok(html.includes(msg.audioClipLine("clip 2", 0.25, 22_050)));

    assert.equal(preview.summary, msg.audioSummary(2, 0.75));
    assert.equal(
      preview.bundle["text/plain"],
      ["step 2,000", msg.audioSummary(2, 0.75), msg.audioClipLine("the cat sat", 0.5, 16_000), msg.audioClipLine("clip 2", 0.25, 22_050)].join("\n"),
    );
    assert.deepEqual(
      preview.files.map((f) => f.suffix),
      ["-0.wav", "-1.wav"],
    );
    assert.deepEqual(
      preview.files.map((f) => decodeWav(f.bytes).frames),
      [8000, 5513],
    );

    assert.ok(preview.image !== undefined, "a waveform picture for the live view");
    const picture = await decodePng(preview.image.bundle["image/png"], { channels: 3 });
    assert.deepEqual([picture.width, picture.height], [preview.image.width, preview.image.height]);
    let blue = 0;
    for (let i = 0; i < picture.pixels.length; i += 3) if (picture.pixels[i + 2]! - picture.pixels[i]! > 60) blue++;
    assert.ok(blue > 1000, `waveform pixels: ${blue}`);
  });

  it("saves a single clip as .wav and draws no waveform when asked not to", async () => {
    const preview = await renderAudioPreview({ clips: [{ samples: tone(0.1, 8000), sampleRate: 8000 }], caption: "", waveform: false });
    assert.deepEqual(
      preview.files.map((f) => f.suffix),
      [".wav"],
    );
    assert.equal(preview.image, undefined);
    assert.equal(preview.bundle["text/plain"], [msg.audioSummary(1, 0.1), msg.audioClipLine("clip 1", 0.1, 8000)].join("\n"));
  });

  it("plays at most maxSeconds inline, says so, and saves the whole clip", async () => {
    const samples = tone(3, 8000);
    const preview = await renderAudioPreview({ clips: [{ samples, sampleRate: 8000, label: "long" }], caption: "", maxSeconds: 1, waveform: false });
    const [inline] = inlineWavs(preview.bundle["text/html"] as string);
    assert.equal(decodeWav(inline!).frames, 8000);
    assert.equal(decodeWav(preview.files[0]!.bytes).frames, 24_000);
    const note = msg.audioCut(3, 1);
    assert.ok((preview.bundle["text/plain"] as string).includes(`${msg.audioClipLine("long", 3, 8000)} · ${note}`));
    assert.ok((preview.bundle["text/html"] as string).includes(note));
  });

  it("keeps the HTML small: the default cuts a ten-minute clip to 30 s and later clips past the byte budget are listed only", async () => {
    const long = await renderAudioPreview({ clips: [{ samples: new Float32Array(600 * 16_000), sampleRate: 16_000 }], caption: "", waveform: false });
    const html = long.bundle["text/html"] as string;
    assert.ok(html.length < 30 * 16_000 * 2 * 1.4, `${html.length} characters of HTML`);
    assert.equal(decodeWav(inlineWavs(html)[0]!).frames, 30 * 16_000);

    const clip = { samples: tone(1, 8000), sampleRate: 8000 };
    const budget = await renderAudioPreview({ clips: [clip, clip, clip], caption: "", maxInlineBytes: 40_000, waveform: false });
    assert.equal(inlineWavs(budget.bundle["text/html"] as string).length, 2, "two 16 kB clips fit in 40 kB, the third does not");
    assert.ok((budget.bundle["text/plain"] as string).endsWith(`${msg.audioClipLine("clip 3", 1, 8000)} · ${msg.audioNotInlined(40_000)}`));
    assert.equal(budget.files.length, 3, "every clip is still saved");
  });

  it("counts NaN samples (written as silence) and clipped ones", async () => {
    const samples = Float32Array.from([0, NaN, 1.5, -2, NaN, 0.1]);
    const preview = await renderAudioPreview({ clips: [{ samples, sampleRate: 8000 }], caption: "", waveform: false });
    const text = preview.bundle["text/plain"] as string;
    assert.ok(text.includes(msg.audioNonFinite(2)) && text.includes(msg.audioClipped(2)), text);
    assert.deepEqual(Array.from(decodeWav(preview.files[0]!.bytes).channels[0]!).slice(0, 5), [0, 0, 1, -1, 0]);
  });

  it("escapes labels and captions in the HTML", async () => {
    const preview = await renderAudioPreview({
      clips: [{ samples: tone(0.01, 8000), sampleRate: 8000, label: `<script>alert(1)</script>"` }],
      caption: "<img src=x onerror=alert(1)>",
      waveform: false,
    });
    const html = preview.bundle["text/html"] as string;
    assert.deepEqual([...new Set([...html.matchAll(/<\/?([a-z]+)/g)].map((m) => m[1]))].sort(), ["audio", "div", "figcaption", "figure"]);
    assert.ok(html.includes("&#60;script&#62;alert(1)&#60;/script&#62;&#34;") && html.includes("&#60;img src=x onerror=alert(1)&#62;"));
  });

  it("refuses no clips, samples that are not a Float32Array and a bad sample rate", async () => {
    await assert.rejects(renderAudioPreview({ clips: [], caption: "" }), { name: "TypeError", message: /clips must be a non-empty array/ });
    await assert.rejects(renderAudioPreview({ clips: [{ samples: new Float64Array(4) as unknown as Float32Array, sampleRate: 8000 }], caption: "" }), {
      name: "TypeError",
      message: msg.audioBadClip(0, "must be { samples: Float32Array, sampleRate, label? }, got samples Float64Array"),
    });
    await assert.rejects(renderAudioPreview({ clips: [{ samples: new Float32Array(4), sampleRate: 0 }], caption: "" }), {
      name: "RangeError",
      message: /clips\[0\] sampleRate must be/,
    });
    await assert.rejects(renderAudioPreview({ clips: [{ samples: new Float32Array(4), sampleRate: 8000 }], caption: "", maxSeconds: 0 }), {
      name: "RangeError",
    });
  });
});
