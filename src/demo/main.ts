#!/usr/bin/env node
/** Entry of `npm run demo` (compiled: dist/demo/main.js); see demo.ts. */
import { runDemo } from "./demo.js";

void runDemo(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
