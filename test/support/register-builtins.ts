/**
 * The test process is an entry point too: mocha loads this before any test file (.mocharc.json
 * "require"), so tests that build graphs from the engine's own files find the built-in ops and
 * gradients registered, as a program importing src/index.ts or src/nn.ts does.
 */
import "../../src/engine/register-builtins.js";
