/** Aligned text columns for human output. Widths count code points, so "→" and "…" line up. */

export interface Column {
  readonly header: string;
  /** "right" for numbers and sizes. Default "left". */
  readonly align?: "left" | "right";
}

export interface TableOptions {
  /** Spaces before each line. Default 2. */
  readonly indent?: number;
  /** Styles a cell after padding (colour codes must not count toward widths). */
  readonly style?: (text: string, row: number, column: number) => string;
}

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, size: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, size - width(text)));
  return align === "right" ? fill + text : text + fill;
}

/** The header line and one line per row, columns separated by two spaces, no trailing spaces. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], options: TableOptions = {}): string[] {
  const indent = " ".repeat(options.indent ?? 2);
  const widths = columns.map((c, i) => Math.max(width(c.header), ...rows.map((r) => width(r[i] ?? ""))));
  const render = (cells: readonly string[], row: number): string => {
    const parts = columns.map((c, i) => {
      const padded = pad(cells[i] ?? "", widths[i] ?? 0, c.align ?? "left");
      // The last column is not padded on the right: no trailing spaces.
      const text = i === columns.length - 1 && (c.align ?? "left") === "left" ? padded.trimEnd() : padded;
      return row >= 0 && options.style ? options.style(text, row, i) : text;
    });
    return (indent + parts.join("  ")).trimEnd();
  };
  return [
    render(
      columns.map((c) => c.header),
      -1,
    ),
    ...rows.map((r, i) => render(r, i)),
  ];
}
