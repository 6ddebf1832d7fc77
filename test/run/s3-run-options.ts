/** The options every bucket run of s3-run.test.ts shares with its child process (s3-run-child.ts), so each is the same run. */
import type { ResumableOptions } from "../../src/run/run.js";

export const S3_RUN_OPTIONS = { checkpointEvery: 10, evalEvery: 10, evalBatches: 1, preview: { samples: 4 } } satisfies Partial<ResumableOptions>;
