/**
 * A fingerprint of what a graph computes: SHA-256 over its nodes (op, inputs by position, attributes,
 * output types), its inputs' names and types and its constants' bytes. The same model code builds
 * the same fingerprint; a changed layer, activation or loss changes it. A run records the
 * fingerprint of its model's loss graph and compares it on resume, as it compares the config, so
 * a model whose code changed under an unchanged config is caught.
 */
import { createHash } from "node:crypto";
import type { Tensor } from "../../tensor.js";
import type { Node, Value } from "./value.js";

function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** The fingerprint of `nodes` (in creation order) and every value they read, as 64 hex digits. */
export function graphFingerprint(nodes: readonly Node[]): string {
  const hash = createHash("sha256");
  const ids = new Map<Value, number>();
  const ref = (v: Value | undefined): string => {
    if (v === undefined) return "-";
    let id = ids.get(v);
    if (id === undefined) {
      id = ids.size;
      ids.set(v, id);
      if (v.kind === "input") hash.update(`in ${id} ${v.name} ${v.dtype}[${v.shape.join(",")}]\n`);
      else if (v.kind === "initializer") {
        hash.update(`const ${id} ${v.dtype}[${v.shape.join(",")}] `);
        hash.update(tensorBytes(v.constant!));
        hash.update("\n");
      }
    }
    return String(id);
  };
  for (const n of nodes) {
    const inputs = n.inputs.map(ref).join(",");
    const attrs = Object.keys(n.attributes)
      .sort()
      .map((k) => {
        const a = n.attributes[k]!;
        return `${k}=${typeof a === "object" && !Array.isArray(a) ? `tensor:${(a as Tensor).dtype}[${(a as Tensor).shape.join(",")}]` : JSON.stringify(a)}`;
      })
      .join(";");
    const outputs = n.outputs.map((o) => `${ref(o)}:${o.dtype}[${o.shape.join(",")}]`).join(",");
    hash.update(`${n.domain}:${n.opType}(${inputs}){${attrs}}->${outputs}\n`);
  }
  return hash.digest("hex");
}
