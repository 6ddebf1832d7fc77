/**
 * Every import of every file under src/, read with the TypeScript parser (no type checking), so the
 * layering test judges the same import statements the compiler sees: static imports, `export … from`,
 * side-effect imports and `import("…")`, each marked type-only or not.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SRC = join(REPO_ROOT, "src");

export interface SourceImport {
  /** The importing file, relative to src/ with forward slashes ("run/format.ts"). */
  readonly from: string;
  /** The specifier as written ("../run/format.js"). */
  readonly specifier: string;
  /** The imported file relative to src/ ("run/format.ts"); undefined for packages and node: modules. */
  readonly target: string | undefined;
  /** Erased at run time: `import type`, `export type … from`, or every named binding marked `type`. */
  readonly typeOnly: boolean;
  /** `import "./x.js"`: loaded only for what evaluating it does (registering, patching). */
  readonly sideEffectOnly: boolean;
  /** 1-based line of the import. */
  readonly line: number;
}

function typeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (clause === undefined) return false; // `import "./x.js"`: run for its side effects
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function typeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/** The file a relative specifier names, relative to src/ (".js" read as the ".ts" source). */
function targetOf(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  return posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.js$/, ".ts");
}

/** The imports of one source text; `from` is its path relative to src/. */
export function importsOf(from: string, text: string): SourceImport[] {
  const file = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: SourceImport[] = [];
  const add = (node: ts.Node, specifier: string, typeOnly: boolean): void => {
    const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    const sideEffectOnly = ts.isImportDeclaration(node) && node.importClause === undefined;
    found.push({ from, specifier, target: targetOf(from, specifier), typeOnly, sideEffectOnly, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, typeOnlyImport(node));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, typeOnlyExport(node));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteralLike(arg)) add(node, arg.text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true); // `import("./x.js").T` in a type position
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Every .ts file under src/, relative to src/ with forward slashes, sorted. */
export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".ts")) out.push(relative(SRC, path).split(/[\\/]/).join("/"));
    }
  };
  walk(SRC);
  return out.sort();
}

/** The imports of every file under src/. */
export function allSourceImports(): SourceImport[] {
  return sourceFiles().flatMap((file) => importsOf(file, readFileSync(join(SRC, file), "utf8")));
}
