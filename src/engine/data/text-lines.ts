/**
 * Lines from text arriving in chunks, with their 1-based numbers: split at \n, a trailing \r
 * dropped (so \r\n files read the same), a leading byte-order mark dropped. The JSON Lines reader
 * uses it; CSV has its own machine because a quoted field may span lines.
 */
export type OnLine = (line: string, number: number) => void;

export class TextLines {
  readonly #onLine: OnLine;
  #partial = "";
  #number = 0;
  #started = false;

  constructor(onLine: OnLine) {
    this.#onLine = onLine;
  }

  push(chunk: string): void {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      const piece = text.slice(start, end);
      const line = this.#partial.length === 0 ? piece : this.#partial + piece;
      this.#partial = "";
      this.#emit(line);
      start = end + 1;
    }
    if (start < text.length) this.#partial += text.slice(start);
  }

  /** Emits the last line when the text does not end with a line break. */
  end(): void {
    if (this.#partial.length > 0) {
      const line = this.#partial;
      this.#partial = "";
      this.#emit(line);
    }
  }

  #emit(line: string): void {
    this.#number++;
    this.#onLine(line.endsWith("\r") ? line.slice(0, -1) : line, this.#number);
  }
}
