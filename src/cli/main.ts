#!/usr/bin/env node
/** The `nbresume` executable (package.json "bin"): runs one command and exits with its code. */
import "../engine/register-builtins.js";
import { runCli } from "./cli.js";

// `nbresume list DIR | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
