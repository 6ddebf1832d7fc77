export * from "./tensor.js";
export * from "./errors.js";
export * from "./checkpoint/index.js";
export * from "./notebook/index.js";
