import { strict as assert } from "node:assert";
import { isNbresumeError } from "../../src/errors.js";
import { compositePng, decodePng, encodePng, imageSize, svgToPng } from "../../src/render/image.js";
import { RenderErrorCode, renderMessages } from "../../src/render/messages.js";
import { pixelAt } from "./pixels.js";

describe("render/image (sharp codec)", () => {
  it("encodes raw RGB pixels to a PNG that decodes to the same bytes", async () => {
    const width = 7;
    const height = 5;
    const pixels = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 256);
    const png = await encodePng({ width, height, channels: 3, pixels });
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const decoded = await decodePng(png);
    assert.equal(decoded.width, width);
    assert.equal(decoded.height, height);
    assert.equal(decoded.channels, 3);
    assert.deepEqual([...decoded.pixels], [...pixels]);
    assert.deepEqual(await imageSize(png), { width, height });
  });

  it("keeps grayscale as one channel and every compression level decodes identically", async () => {
    const pixels = Uint8Array.from({ length: 16 * 16 }, (_, i) => i % 256);
    for (const compressionLevel of [0, 1, 6, 9]) {
      const decoded = await decodePng(await encodePng({ width: 16, height: 16, channels: 1, pixels }, { compressionLevel }));
      assert.equal(decoded.channels, 1);
      assert.deepEqual([...decoded.pixels], [...pixels], `compressionLevel ${compressionLevel}`);
    }
  });

  it("rejects pixels whose length does not match width × height × channels", async () => {
    await assert.rejects(
      encodePng({ width: 4, height: 4, channels: 3, pixels: new Uint8Array(47) }),
      (e: unknown) => e instanceof RangeError && e.message === renderMessages.pixelCountMismatch("encodePng", 47, 4, 4, 3),
    );
    await assert.rejects(encodePng({ width: 0, height: 4, channels: 3, pixels: new Uint8Array(0) }), RangeError);
  });

  it("reports bytes that are not an image as RENDER_DECODE_FAILED with the cause", async () => {
    await assert.rejects(decodePng(new Uint8Array([1, 2, 3, 4])), (e: unknown) => {
      assert.ok(isNbresumeError(e, RenderErrorCode.DECODE_FAILED));
      assert.ok(e.message.startsWith("Could not decode 4 bytes as an image"));
      assert.ok(e.cause instanceof Error);
      return true;
    });
  });

  it("rasterises SVG at the requested width, crisp and on white", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50">' + '<rect x="0" y="0" width="50" height="50" fill="#ff0000"/></svg>';
    const { png, width, height } = await svgToPng(svg, { width: 300 });
    assert.equal(width, 300);
    assert.equal(height, 150);
    const img = await decodePng(png, { channels: 3 });
    assert.deepEqual(pixelAt(img, 10, 10), [255, 0, 0]);
    assert.deepEqual(pixelAt(img, 149, 75), [255, 0, 0]);
    assert.deepEqual(pixelAt(img, 151, 75), [255, 255, 255], "transparent areas become white");
    assert.deepEqual(pixelAt(img, 290, 140), [255, 255, 255]);
  });

  it("composites PNG layers at their offsets on a solid background", async () => {
    const red = await encodePng({ width: 2, height: 2, channels: 3, pixels: Uint8Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 255 : 0)) });
    const { png, width, height } = await compositePng({ width: 6, height: 4, background: [0, 0, 255] }, [{ png: red, left: 3, top: 1 }]);
    assert.deepEqual([width, height], [6, 4]);
    const img = await decodePng(png, { channels: 3 });
    assert.deepEqual(pixelAt(img, 3, 1), [255, 0, 0]);
    assert.deepEqual(pixelAt(img, 4, 2), [255, 0, 0]);
    assert.deepEqual(pixelAt(img, 2, 1), [0, 0, 255]);
    assert.deepEqual(pixelAt(img, 5, 3), [0, 0, 255]);
  });

  it("draws SVG text with a real proportional font (charts need one: Debian's fonts-dejavu-core)", async () => {
    // Without any font, librsvg draws every character as the same box: equal widths.
    const inkWidth = async (text: string): Promise<number> => {
      const svg =
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40">' +
        `<text x="0" y="30" font-family="DejaVu Sans, sans-serif" font-size="20">${text}</text></svg>`;
      const img = await decodePng((await svgToPng(svg)).png, { channels: 3 });
      let right = -1;
      for (let y = 0; y < img.height; y++) {
        for (let x = 0; x < img.width; x++) if ((pixelAt(img, x, y)[0] ?? 255) < 128 && x > right) right = x;
      }
      return right + 1;
    };
    const narrow = await inkWidth("iiiiiiiiii");
    const wide = await inkWidth("WWWWWWWWWW");
    assert.ok(narrow > 0, "text is drawn at all");
    assert.ok(wide > 2.5 * narrow, `"W"×10 is ${wide} px and "i"×10 is ${narrow} px: no usable system font (install fonts-dejavu-core)`);
  });
});
