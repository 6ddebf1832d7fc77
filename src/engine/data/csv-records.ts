/**
 * CSV records from text arriving in chunks (RFC 4180 basics): fields split by a one-character
 * delimiter; a field may be quoted ("…"), and then hold delimiters, line breaks and doubled quotes
 * (""); records end at \n, \r\n or \r. Strict where lenient parsers guess: a quote inside an
 * unquoted field, text after a closing quote and a quote left open at the end are errors naming
 * the line. A leading byte-order mark is dropped; blank lines are skipped.
 *
 * A hand-written state machine over char codes: each field is sliced from the chunk once
 * (~2–3 s per GB here), and only a field split across two chunks is built from pieces.
 */
import { NbresumeError } from "../../errors.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Where the machine stands between characters. */
const State = {
  /** At the start of a field (after a delimiter or a record's start). */
  FIELD_START: 0,
  /** Inside an unquoted field. */
  UNQUOTED: 1,
  /** Inside a quoted field. */
  QUOTED: 2,
  /** Just after a quote inside a quoted field: the closing quote, or the first of "". */
  QUOTE_IN_QUOTED: 3,
} as const;

type StateValue = (typeof State)[keyof typeof State];

/** Called once per record with its fields and the line it starts on (1-based). */
export type OnRecord = (fields: string[], line: number) => void;

export class CsvRecords {
  readonly #file: string;
  readonly #delimiter: number;
  readonly #onRecord: OnRecord;
  #state: StateValue = State.FIELD_START;
  #fields: string[] = [];
  /** The current field's text so far, when it spans chunks or holds escaped quotes. */
  #pending = "";
  /** Whether the current record has a quoted field (so "" on a line of its own is not blank). */
  #quoted = false;
  #line = 1;
  #recordLine = 1;
  /** A \r ended the last record: a \n right after it belongs to the same line break. */
  #afterCR = false;
  #started = false;

  constructor(file: string, delimiter: string, onRecord: OnRecord) {
    this.#file = file;
    this.#delimiter = delimiter.charCodeAt(0);
    this.#onRecord = onRecord;
  }

  push(chunk: string): void {
    let i = 0;
    const n = chunk.length;
    if (!this.#started && n > 0) {
      this.#started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    const d = this.#delimiter;
    while (i < n) {
      const state = this.#state;
      if (this.#afterCR) {
        this.#afterCR = false;
        if (chunk.charCodeAt(i) === LF) {
          i++;
          continue;
        }
      }
      if (state === State.FIELD_START || state === State.UNQUOTED) {
        if (state === State.FIELD_START && chunk.charCodeAt(i) === QUOTE) {
          this.#state = State.QUOTED;
          this.#quoted = true;
          i++;
          continue;
        }
        // Scan to the field's end: a delimiter, a line break, or the chunk's end.
        let j = i;
        let c = 0;
        for (; j < n; j++) {
          c = chunk.charCodeAt(j);
          if (c === d || c === LF || c === CR || c === QUOTE) break;
        }
        if (j === n) {
          this.#pending += chunk.slice(i, j);
          this.#state = State.UNQUOTED;
          return;
        }
        if (c === QUOTE) throw this.#error(msg.csvStrayQuote(this.#file, this.#line, this.#fields.length + 1));
        const text = this.#pending.length === 0 ? chunk.slice(i, j) : this.#pending + chunk.slice(i, j);
        this.#pending = "";
        this.#fields.push(text);
        i = j + 1;
        if (c === d) {
          this.#state = State.FIELD_START;
        } else {
          this.#endRecord(c === CR);
        }
        continue;
      }
      if (state === State.QUOTED) {
        let j = i;
        for (; j < n; j++) {
          const c = chunk.charCodeAt(j);
          if (c === QUOTE) break;
          if (c === LF) this.#line++;
        }
        this.#pending += chunk.slice(i, j);
        if (j === n) return;
        this.#state = State.QUOTE_IN_QUOTED;
        i = j + 1;
        continue;
      }
      // QUOTE_IN_QUOTED
      const c = chunk.charCodeAt(i);
      i++;
      if (c === QUOTE) {
        this.#pending += '"';
        this.#state = State.QUOTED;
      } else if (c === d) {
        this.#fields.push(this.#pending);
        this.#pending = "";
        this.#state = State.FIELD_START;
      } else if (c === LF || c === CR) {
        this.#fields.push(this.#pending);
        this.#pending = "";
        this.#endRecord(c === CR);
      } else {
        throw this.#error(msg.csvTextAfterQuote(this.#file, this.#line, this.#fields.length + 1));
      }
    }
  }

  /** Ends the input: emits a last record without a line break; throws if a quote is still open. */
  end(): void {
    if (this.#state === State.QUOTED) throw this.#error(msg.csvUnclosedQuote(this.#file, this.#recordLine));
    if (this.#state === State.QUOTE_IN_QUOTED || this.#state === State.UNQUOTED || this.#fields.length > 0) {
      this.#fields.push(this.#pending);
      this.#pending = "";
      this.#endRecord(false);
    }
  }

  #endRecord(cr: boolean): void {
    const fields = this.#fields;
    const line = this.#recordLine;
    this.#fields = [];
    this.#state = State.FIELD_START;
    this.#afterCR = cr;
    this.#line++;
    this.#recordLine = this.#line;
    const blank = fields.length === 1 && fields[0] === "" && !this.#quoted;
    this.#quoted = false;
    if (!blank) this.#onRecord(fields, line);
  }

  #error(message: string): NbresumeError {
    return new NbresumeError(DataErrorCode.CSV_QUOTE, message, { where: this.#file });
  }
}
