#!/usr/bin/env node
/** Entry of `npm run demo` (compiled: dist/demo/main.js); see demo.ts. */
import "../engine/register-builtins.js";
import { runDemo } from "./demo.js";

// After SIGHUP the terminal is gone: writing progress to it fails (EIO, EPIPE). That must not
// crash the demo before its emergency checkpoint is saved, so such errors are ignored.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "EIO") throw error;
  });
}

void runDemo(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
