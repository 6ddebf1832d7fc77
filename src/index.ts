export * from "./tensor.js";
export * from "./errors.js";
