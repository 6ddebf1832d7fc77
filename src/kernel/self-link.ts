/**
 * In a source checkout (not inside node_modules), makes `import … from "nbresume"` type-check in
 * notebooks/: tslab resolves types with TypeScript 5.0's classic node (Node10) resolution, which
 * ignores a package's references to itself, so it needs node_modules/nbresume. Node's own require
 * already resolves the self-reference through package.json "exports". `npm ci` wipes the link;
 * installing the kernel again recreates it.
 */
import { existsSync, lstatSync, readlinkSync, symlinkSync, type Stats } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";

export type SelfLink =
  | { readonly status: "not-needed" }
  | { readonly status: "created" | "present"; readonly path: string }
  | { readonly status: "skipped"; readonly reason: "no-node-modules" | "occupied"; readonly path: string };

export function ensureSelfLink(root: string, name = "nbresume"): SelfLink {
  if (root.split(sep).includes("node_modules")) return { status: "not-needed" };
  const link = join(root, "node_modules", name);
  if (!existsSync(join(root, "node_modules"))) return { status: "skipped", reason: "no-node-modules", path: link };
  let stat: Stats | undefined;
  try {
    stat = lstatSync(link);
  } catch {
    stat = undefined;
  }
  if (stat === undefined) {
    // Relative on POSIX so the checkout can move; Windows junctions need an absolute target.
    if (process.platform === "win32") symlinkSync(root, link, "junction");
    else symlinkSync("..", link);
    return { status: "created", path: link };
  }
  if (stat.isSymbolicLink() && resolve(dirname(link), readlinkSync(link)) === root) return { status: "present", path: link };
  return { status: "skipped", reason: "occupied", path: link };
}
