/**
 * Makes `{ model, data }` work in a cell when `model` and `data` were declared in earlier cells.
 *
 * Upstream cause (tslab 1.0.22, dist/converter.js, getCustomTransformers → wrapPrevIdentifier):
 * each cell is its own module, and tslab rewrites every identifier that refers to an earlier cell's
 * declaration into `exports.NAME`. It asks `checker.getSymbolAtLocation(identifier)`, which for the
 * name of a shorthand property assignment returns the object literal's *property* symbol (declared
 * in the cell itself), not the variable — TypeScript answers that with
 * `getShorthandAssignmentValueSymbol`. So the identifier stays bare, and the cell throws
 * `ReferenceError: model is not defined` (`{ model: model }` works). Replacing the name of a
 * shorthand by `exports.model` would not even print as valid JS.
 *
 * The fix works on tslab's output (CommonJS, one cell): a shorthand property whose name is declared
 * by an earlier cell and resolves to nothing inside this cell becomes `model: exports.model`. Whether
 * it resolves is asked of a TypeScript checker over the output alone, so a parameter, a local or a
 * redeclaration of the same name in this cell keeps its shorthand.
 */
import type * as TS from "typescript";

/** Value names an earlier cell declared, from tslab's accumulated declarations (`declare const model: …`, imports). */
export function declaredNames(ts: typeof TS, prevDecl: string): Set<string> {
  const names = new Set<string>();
  if (prevDecl.trim() === "") return names;
  const file = ts.createSourceFile("__prev__.d.ts", prevDecl, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const addBinding = (name: TS.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBinding(element.name);
  };
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) addBinding(d.name);
    else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name)
      names.add(statement.name.text);
    else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name)) names.add(statement.name.text);
    else if (ts.isImportEqualsDeclaration(statement)) names.add(statement.name.text);
    else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      else if (bindings) for (const e of bindings.elements) names.add(e.name.text);
    }
  }
  return names;
}

const OUTPUT_FILE = "/__tslab_cell__.js";

/** tslab's converted cell with shorthand references to earlier cells' names spelled out. */
export function expandPrevCellShorthands(ts: typeof TS, output: string, prevDecl: string): string {
  const earlier = declaredNames(ts, prevDecl);
  if (earlier.size === 0) return output;
  const source = ts.createSourceFile(OUTPUT_FILE, output, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  if (!hasCandidate(ts, source, earlier)) return output; // the common case: no program needed
  // A checker over this one file: noLib and no resolution keep it to a few milliseconds. Names that
  // resolve nowhere (console, require, an earlier cell's name) are simply unresolved.
  const host: TS.CompilerHost = {
    getSourceFile: (name) => (name === OUTPUT_FILE ? source : undefined),
    getDefaultLibFileName: () => "/__no_lib__.d.ts",
    writeFile: () => undefined,
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (name) => name === OUTPUT_FILE,
    readFile: (name) => (name === OUTPUT_FILE ? output : undefined),
  };
  const program = ts.createProgram({ rootNames: [OUTPUT_FILE], options: { allowJs: true, noLib: true, noResolve: true, types: [] }, host });
  const checker = program.getTypeChecker();
  const edits: { start: number; end: number; text: string }[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isShorthandPropertyAssignment(node) && earlier.has(node.name.text) && checker.getShorthandAssignmentValueSymbol(node) === undefined) {
      edits.push({ start: node.name.getStart(source), end: node.name.end, text: `${node.name.text}: exports.${node.name.text}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  let fixed = output;
  for (const e of edits.sort((a, b) => b.start - a.start)) fixed = fixed.slice(0, e.start) + e.text + fixed.slice(e.end);
  return fixed;
}

function hasCandidate(ts: typeof TS, node: TS.Node, earlier: ReadonlySet<string>): boolean {
  if (ts.isShorthandPropertyAssignment(node) && earlier.has(node.name.text)) return true;
  return ts.forEachChild(node, (child) => (hasCandidate(ts, child, earlier) ? true : undefined)) === true;
}
