/**
 * Small tables as MIME bundles: HTML for notebooks, markdown for front ends without HTML, aligned
 * plain text for terminals. Used for the run's config and config changes and the checkpoint
 * tables (checkpoint-tables.ts). Pure functions.
 */
export interface Table {
  readonly title?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns to right-align (numbers), by index. */
  readonly numeric?: readonly number[];
  /** A line under the table (totals, what to do next). */
  readonly footer?: string;
  /** HTML: folded under its title until clicked (long reference tables such as a run's config). */
  readonly collapsed?: boolean;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function escapeMarkdownCell(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, "\\$1").replace(/\n/g, " ");
}

export function tableHtml(table: Table): string {
  const numeric = new Set(table.numeric ?? []);
  const cell = (tag: "td" | "th", text: string, i: number): string =>
    `<${tag} style="text-align:${numeric.has(i) ? "right" : "left"};padding:2px 10px 2px 0;vertical-align:top">${escapeHtml(text)}</${tag}>`;
  const head = `<tr>${table.columns.map((c, i) => cell("th", c, i)).join("")}</tr>`;
  const body = table.rows.map((r) => `<tr>${r.map((c, i) => cell("td", c, i)).join("")}</tr>`).join("");
  const footer = table.footer === undefined ? "" : `<div style="color:#666666;margin-top:4px">${escapeHtml(table.footer)}</div>`;
  const grid = `<table style="border-collapse:collapse">${head}${body}</table>${footer}`;
  const style = "font-family:var(--jp-code-font-family,monospace);font-size:12px";
  if (table.collapsed === true) {
    const summary = escapeHtml(table.title ?? `${table.rows.length} rows`);
    return `<details class="nbresume-table" style="${style}"><summary style="font-weight:bold;margin:4px 0;cursor:pointer">${summary}</summary>${grid}</details>`;
  }
  const title = table.title === undefined ? "" : `<div style="font-weight:bold;margin:4px 0">${escapeHtml(table.title)}</div>`;
  return `<div class="nbresume-table" style="${style}">${title}${grid}</div>`;
}

export function tableMarkdown(table: Table): string {
  const numeric = new Set(table.numeric ?? []);
  const lines: string[] = [];
  if (table.title !== undefined) lines.push(`**${escapeMarkdownCell(table.title)}**`, "");
  lines.push(`| ${table.columns.map(escapeMarkdownCell).join(" | ")} |`);
  lines.push(`|${table.columns.map((_, i) => (numeric.has(i) ? "---:" : ":---")).join("|")}|`);
  for (const r of table.rows) lines.push(`| ${r.map(escapeMarkdownCell).join(" | ")} |`);
  if (table.footer !== undefined) lines.push("", `_${escapeMarkdownCell(table.footer)}_`);
  return lines.join("\n");
}

export function tableText(table: Table): string {
  const numeric = new Set(table.numeric ?? []);
  const all = [table.columns, ...table.rows];
  const widths = table.columns.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? "")].length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => {
        const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - [...c].length));
        return numeric.has(i) ? pad + c : c + pad;
      })
      .join("  ")
      .trimEnd();
  const lines: string[] = [];
  if (table.title !== undefined) lines.push(table.title);
  lines.push(line(table.columns));
  for (const r of table.rows) lines.push(line(r));
  if (table.footer !== undefined) lines.push(table.footer);
  return lines.join("\n");
}

/**
 * A two-column settings table in a few lines for a terminal: rows grouped by the first segment of
 * their name ("model.unet.widths" → group "model", "unet.widths=[16,32]").
 */
export function settingsText(table: Table): string {
  const groups = new Map<string, string[]>();
  for (const [name = "", value = ""] of table.rows) {
    const dot = name.indexOf(".");
    const group = dot < 0 ? name : name.slice(0, dot);
    const item = dot < 0 ? value : `${name.slice(dot + 1)}=${value}`;
    groups.set(group, [...(groups.get(group) ?? []), item]);
  }
  const width = Math.max(...[...groups.keys()].map((g) => g.length));
  const lines = [...groups].map(([g, items]) => `  ${g.padEnd(width)}  ${items.join(" ")}`);
  return [...(table.title === undefined ? [] : [table.title]), ...lines].join("\n");
}

/** A table's MIME bundle: text/html, text/markdown and text/plain. */
export type TableBundle = { readonly "text/html": string; readonly "text/markdown": string; readonly "text/plain": string };

/** text/html + text/markdown + text/plain of one table: `createDisplay().show(tableBundle(t))`. */
export function tableBundle(table: Table): TableBundle {
  return { "text/html": tableHtml(table), "text/markdown": tableMarkdown(table), "text/plain": tableText(table) };
}
