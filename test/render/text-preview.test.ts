/**
 * Generated text as a preview: the prompt set apart from the continuation in every form, hostile
 * text (tags, terminal escapes, lone surrogates, backtick runs, endless lines) shown as text and
 * never acting, and the bundle and files in the shape every preview has.
 */
import { strict as assert } from "node:assert";
import { checkBundle } from "../../src/notebook/mime-bundle.js";
import { renderMessages as msg } from "../../src/render/messages.js";
import { renderTextPreview } from "../../src/render/text-preview.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bodies of the fenced code blocks in CommonMark terms: a closing fence is at least as long as its opening. */
function fencedBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let open: { fence: number; lines: string[] } | undefined;
  for (const line of markdown.split("\n")) {
    if (open === undefined) {
      const m = /^(`{3,})[^`]*$/.exec(line);
      if (m) open = { fence: m[1]!.length, lines: [] };
    } else {
      const close = /^(`{3,})\s*$/.exec(line);
      if (close && close[1]!.length >= open.fence) {
        blocks.push(open.lines.join("\n"));
        open = undefined;
      } else open.lines.push(line);
    }
  }
  assert.equal(open, undefined, "a fence was left open: the rest of the notebook cell would render as code");
  return blocks;
}

/** Every tag name in an HTML string. */
function tagNames(html: string): Set<string> {
  return new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));
}

// eslint-disable-next-line no-control-regex -- the invisible and control characters are what it finds
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("render/text-preview", () => {
  it("shows each prompt apart from its continuation as text, markdown and HTML, with a one-line summary", () => {
    const samples = Array.from({ length: 4 }, (_, i) => ({ prompt: `Prompt ${i}:`, text: "x".repeat(199) + String(i), label: `temperature 0.${i + 5}` }));
    const preview = renderTextPreview({ samples, caption: "step 1,200 · loss 1.93" });
    assert.equal(preview.summary, "4 texts of 200 characters");
    assert.equal(preview.summary, msg.textSummary(4, 200, 200));
    checkBundle(preview.bundle);
    assert.deepEqual(Object.keys(preview.bundle).sort(), ["text/html", "text/markdown", "text/plain"]);

    const plain = preview.bundle["text/plain"] as string;
    assert.ok(plain.startsWith("step 1,200 · loss 1.93\n4 texts of 200 characters\n"));
    assert.ok(plain.includes(`[2 · temperature 0.6]\nprompt │ Prompt 1:\n  text │ ${"x".repeat(199)}1`), plain);

    const markdown = preview.bundle["text/markdown"] as string;
    assert.deepEqual(
      fencedBlocks(markdown),
      samples.flatMap((s) => [s.prompt, s.text]),
    );
    assert.ok(markdown.includes("prompt:\n\n```text\nPrompt 0:\n```\n\ngenerated:\n\n```text\n"));

    const html = preview.bundle["text/html"] as string;
    assert.ok(
      html.includes('<span class="prompt" title="prompt" style="color:#6a6a6a;background:#eef1f5;border-radius:2px">Prompt 3:</span><span class="generated"'),
    );
    assert.ok(html.includes(msg.textPromptLegend()));
  });

  it("leaves out the prompt gutter and legend for samples without a prompt", () => {
    const preview = renderTextPreview({ samples: [{ text: "hello\nworld" }], caption: "" });
    assert.equal(preview.bundle["text/plain"], "1 text of 11 characters\n\n[1]\n  text │ hello\n       │ world");
    assert.ok(!(preview.bundle["text/html"] as string).includes("prompt"));
    assert.deepEqual(fencedBlocks(preview.bundle["text/markdown"] as string), ["hello\nworld"]);
  });

  it("escapes hostile text in HTML: no tag, attribute or entity of the model's gets through", () => {
    const hostile = `<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;</pre></div>`;
    const preview = renderTextPreview({ samples: [{ prompt: "<b>", text: hostile, label: "<i>label</i>" }], caption: "<u>caption</u>" });
    const html = preview.bundle["text/html"] as string;
    assert.deepEqual([...tagNames(html)].sort(), ["div", "pre", "span"], "only the preview's own tags");
    assert.ok(!/<script/i.test(html));
    assert.ok(html.includes("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#60;img src=x onerror=&#39;alert(1)&#39;&#62;&#38;amp;"));
    assert.ok(html.includes("&#60;i&#62;label&#60;/i&#62;") && html.includes("&#60;u&#62;caption&#60;/u&#62;"));
    // Markdown shows the text verbatim inside its fence, and the label and caption escaped.
    const markdown = preview.bundle["text/markdown"] as string;
    assert.deepEqual(fencedBlocks(markdown), ["<b>", hostile]);
    assert.ok(markdown.startsWith("**\\<u\\>caption\\</u\\>**"));
  });

  it("makes terminal escapes, NUL, bidi overrides and lone surrogates visible in every form, and counts them", () => {
    const text = "a\u001b[2Jb\u0000c\u202ed\ud800e\udc00f\u007fg\r\nh\ri\u0085j😀";
    const preview = renderTextPreview({ samples: [{ text, label: "\u001b]0;title\u0007" }], caption: "cap\u0000" });
    for (const [mime, value] of Object.entries(preview.bundle)) {
      const s = value as string;
      assert.ok(!INVISIBLE.test(s), `${mime} still holds an invisible character`);
      assert.equal(utf8.decode(Buffer.from(s, "utf8")), s, `${mime} does not survive UTF-8 (the notebook could not be saved)`);
    }
    const plain = preview.bundle["text/plain"] as string;
    assert.ok(plain.includes("  text │ a␛[2Jb␀c�d�e�f␡g\n       │ h␍i�j😀"), plain);
    assert.ok(plain.includes("[1 · ␛]0;title␇]"));
    assert.ok(plain.includes(msg.textReplaced(11)), plain);
    for (const file of preview.files) utf8.decode(file.bytes);
  });

  it("keeps markdown fences closed around text made of backticks", () => {
    const texts = ["```", "````js\ncode\n````", "ends with ``", "`````````` ten", "``` \n```"];
    const preview = renderTextPreview({ samples: texts.map((text) => ({ text, prompt: "```" })), caption: "`a` ``b``" });
    const markdown = preview.bundle["text/markdown"] as string;
    assert.deepEqual(
      fencedBlocks(markdown),
      texts.flatMap((text) => ["```", text]),
    );
    assert.ok(markdown.startsWith("**\\`a\\` \\`\\`b\\`\\`**"));
  });

  it("cuts long samples at maxChars characters without splitting a surrogate pair, and says so", () => {
    const preview = renderTextPreview({ samples: [{ text: "😀".repeat(10) }, { text: "short" }], caption: "", maxChars: 3 });
    const plain = preview.bundle["text/plain"] as string;
    assert.ok(plain.includes("  text │ 😀😀😀…\n"));
    assert.ok(plain.includes("  text │ sho…"));
    assert.equal(preview.summary, "2 texts of 5–10 characters", "the summary counts what the model wrote");
    assert.ok(plain.includes(msg.textCut(2, 3)));
  });

  it("wraps a very long line in HTML and bounds the preview by the default cut", () => {
    const preview = renderTextPreview({ samples: [{ text: "y".repeat(100_000) }], caption: "" });
    const html = preview.bundle["text/html"] as string;
    assert.ok(html.includes("white-space:pre-wrap;overflow-wrap:anywhere"));
    assert.ok(html.length < 5000, `HTML of ${html.length} characters`);
    assert.equal(preview.summary, "1 text of 100000 characters");
  });

  it("saves the same text as .txt and .md in UTF-8", () => {
    const preview = renderTextPreview({ samples: [{ prompt: "Été", text: " — naïve 日本" }], caption: "c" });
    assert.deepEqual(
      preview.files.map((f) => f.suffix),
      [".txt", ".md"],
    );
    assert.equal(utf8.decode(preview.files[0]!.bytes), `${preview.bundle["text/plain"] as string}\n`);
    assert.equal(utf8.decode(preview.files[1]!.bytes), `${preview.bundle["text/markdown"] as string}\n`);
    assert.equal(preview.image, undefined);
  });

  it("refuses no samples, a non-string text, prompt or caption, and a bad maxChars", () => {
    assert.throws(() => renderTextPreview({ samples: [], caption: "" }), { name: "TypeError", message: msg.textNoSamples() });
    assert.throws(() => renderTextPreview({ samples: [{ text: 3 as unknown as string }], caption: "" }), {
      name: "TypeError",
      message: msg.textBadSample(0, "text", 3),
    });
    assert.throws(() => renderTextPreview({ samples: [{ text: "a" }, { text: "b", prompt: null as unknown as string }], caption: "" }), {
      name: "TypeError",
      message: msg.textBadSample(1, "prompt", null),
    });
    assert.throws(() => renderTextPreview({ samples: [{ text: "a" }], caption: undefined as unknown as string }), {
      name: "TypeError",
      message: /caption must be a string/,
    });
    assert.throws(() => renderTextPreview({ samples: [{ text: "a" }], caption: "", maxChars: 0 }), {
      name: "RangeError",
      message: /maxChars must be an integer from 1/,
    });
  });
});
