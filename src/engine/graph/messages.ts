/** User-facing text of the op schema registry's errors; tests assert against these same functions. */

export const graphMessages = {
  opAlreadyRegistered(opType: string): string {
    return `Op '${opType}' is already registered with the graph builder. ` +
      `To replace its schema (for example when re-running the notebook cell that registers it), pass { replace: true }: ` +
      `registerOp({ opType: "${opType}", attributes, infer }, { replace: true }).`;
  },
  opNotRegistered(opType: string): string {
    return `Op '${opType}' is not registered with the graph builder. If it is a standard ONNX op, register its schema with ` +
      `registerOp({ opType: "${opType}", attributes: { <name>: "float" | "int" | … }, infer: (ctx) => [{ dtype, shape } for each output] }) ` +
      `from "nbresume/nn"; to differentiate through it, register its gradient with registerGradient too.`;
  },
  opNotToUnregister(opType: string): string {
    return `Op '${opType}' is not registered with the graph builder, so there is no schema to unregister.`;
  },
  badOpSchema(problem: string): string {
    return `registerOp: ${problem}. Pass { opType: "<ONNX op type>", attributes: { … }, infer: (ctx) => [{ dtype, shape }] }.`;
  },
};
