/**
 * Parameters as papermill passes them: the notebook's defaults live in a code cell tagged
 * "parameters" (`let steps = smoke ? 80 : 2000;`), and `--param steps=500` becomes a cell injected
 * right after it, tagged "injected-parameters", that assigns the new values (`steps = 500;`). The
 * defaults are declared with let so the assignment type-checks against them in a TypeScript kernel.
 * The cell also hands the parameters to the run, which records them (recordedParameters). It ends
 * in `void 0;`: tslab prints the value of a cell's last expression
 * statement unless it is null or undefined, and an assignment's value is the value assigned.
 *
 * A value that reads as JSON (500, 1e-3, true, "quoted", [1, 2]) is that value; anything else is
 * a string (dir=runs/long).
 */
import { NbresumeError } from "../errors.js";
import { SupervisorErrorCode, supervisorMessages as msg } from "./messages.js";
import { cellSource, cellTags, type Notebook, type NotebookCell } from "./notebook-file.js";

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

export interface Parameter {
  readonly name: string;
  readonly value: unknown;
  /** The value as source code (JSON is valid TypeScript and JavaScript). */
  readonly literal: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** One `key=value`; RangeError (with the message to show) when it is not one. */
export function parseParameter(text: string): Parameter {
  const eq = text.indexOf("=");
  const name = eq < 0 ? "" : text.slice(0, eq).trim();
  if (!IDENTIFIER.test(name)) throw new RangeError(msg.badParameter(text));
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // not JSON: the text itself
  }
  return { name, value, literal: JSON.stringify(value) };
}

/** `name=<text>` that parseParameter() reads back as `value`: JSON, except a string that does not read as JSON, which is itself. */
export function parameterArgument(name: string, value: unknown): string {
  if (typeof value !== "string") return `${name}=${JSON.stringify(value)}`;
  try {
    JSON.parse(value);
    return `${name}=${JSON.stringify(value)}`;
  } catch {
    return `${name}=${value}`;
  }
}

export interface Injection {
  /** The notebook to run: the source with the injected cell (and without an earlier run's). */
  readonly notebook: Notebook;
  /** Index (in notebook.cells) of the cell tagged "parameters", if any. */
  readonly parametersCell: number | undefined;
  /** Index of the injected cell, when parameters were given. */
  readonly injectedCell: number | undefined;
  readonly parameters: readonly Parameter[];
}

/** Variables a cell declares, with how (`let`, `var`, `const`). */
export function declarations(source: string): Map<string, "let" | "var" | "const"> {
  const found = new Map<string, "let" | "var" | "const">();
  for (const m of source.matchAll(/(?:^|[;{}\n])\s*(?:export\s+)?(let|var|const)\s+([A-Za-z_$][\w$]*)/g)) {
    const name = m[2] as string;
    if (!found.has(name)) found.set(name, m[1] as "let" | "var" | "const");
  }
  return found;
}

/**
 * The line that tells the run which parameters it was given (run/notebook-origin.ts records them in
 * its checkpoints), so `nbresume resume-command` continues it with the same ones.
 */
export function recordedParameters(parameters: readonly Parameter[]): string {
  const fields = parameters.map((p) => `${JSON.stringify(p.name)}: ${p.literal}`).join(", ");
  return `Object.assign(globalThis, { [Symbol.for("nbresume.parameters")]: { ${fields} } });`;
}

function injectedCell(parameters: readonly Parameter[], withId: boolean): NotebookCell {
  const source = [
    msg.injectedCellComment(),
    ...parameters.map((p) => `${p.name} = ${p.literal};`),
    recordedParameters(parameters),
    msg.injectedCellQuiet(),
  ].join("\n");
  return {
    cell_type: "code",
    ...(withId ? { id: "nbresume-injected-parameters" } : {}),
    metadata: { tags: [INJECTED_TAG] },
    source,
    outputs: [],
    execution_count: null,
  };
}

/**
 * The notebook with `parameters` injected after its "parameters" cell. Later values of the same
 * name win. NbresumeError when parameters are given and there is no such cell, or one names a
 * variable the cell does not declare (or declares with const).
 */
export function injectParameters(source: Notebook, given: readonly Parameter[], path: string): Injection {
  const byName = new Map(given.map((p) => [p.name, p]));
  const parameters = [...byName.values()];
  const cells = source.cells.filter((c) => !cellTags(c).includes(INJECTED_TAG));
  const at = cells.findIndex((c) => c.cell_type === "code" && cellTags(c).includes(PARAMETERS_TAG));
  const parametersCell = at < 0 ? undefined : at;
  if (parameters.length === 0) return { notebook: { ...source, cells }, parametersCell, injectedCell: undefined, parameters };
  if (parametersCell === undefined) {
    throw new NbresumeError(
      SupervisorErrorCode.NO_PARAMETERS_CELL,
      msg.noParametersCell(
        path,
        parameters.map((p) => p.name),
      ),
      { where: path },
    );
  }
  const declared = declarations(cellSource(cells[parametersCell] as NotebookCell));
  // Cells are numbered as everywhere in the supervisor: among the code cells, from 1.
  const cellNumber = cells.slice(0, parametersCell + 1).filter((c) => c.cell_type === "code").length;
  for (const p of parameters) {
    const how = declared.get(p.name);
    if (how === "const") throw new NbresumeError(SupervisorErrorCode.BAD_PARAMETER, msg.parameterIsConst(p.name, cellNumber), { where: path });
    if (how === undefined)
      throw new NbresumeError(SupervisorErrorCode.BAD_PARAMETER, msg.parameterNotDeclared(p.name, cellNumber, [...declared.keys()]), { where: path });
  }
  const withIds = cells.some((c) => typeof c.id === "string");
  const out = [...cells.slice(0, parametersCell + 1), injectedCell(parameters, withIds), ...cells.slice(parametersCell + 1)];
  return { notebook: { ...source, cells: out }, parametersCell, injectedCell: parametersCell + 1, parameters };
}

/**
 * The string a parameter will hold when the notebook runs: the --param value, else the default
 * if the parameters cell sets it to a plain string literal (`let dir = "runs/x";`), else undefined.
 */
export function stringParameter(injection: Injection, name: string): string | undefined {
  const given = injection.parameters.find((p) => p.name === name);
  if (given !== undefined) return typeof given.value === "string" ? given.value : undefined;
  if (injection.parametersCell === undefined) return undefined;
  const source = cellSource(injection.notebook.cells[injection.parametersCell] as NotebookCell);
  const re = new RegExp(
    `(?:^|[;\\n])\\s*(?:let|var|const)\\s+${name.replace(/\$/g, "\\$")}\\s*(?::\\s*string\\s*)?=\\s*("(?:[^"\\\\\\n]|\\\\.)*"|'(?:[^'\\\\\\n]|\\\\.)*')\\s*(?:;|$)`,
    "m",
  );
  const literal = re.exec(source)?.[1];
  if (literal === undefined) return undefined;
  try {
    const text = literal.startsWith("'") ? `"${literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"` : literal;
    const value: unknown = JSON.parse(text);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
