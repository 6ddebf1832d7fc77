/** `nbresume resume-command CKPT`: the command line that continues the run from a checkpoint. */
import { NbresumeError } from "../../errors.js";
import type { Command } from "../command.js";
import { CliErrorCode, messages } from "../messages.js";
import { CHECKPOINT_OPTIONS, openCheckpoint, parseMetricOption } from "../target.js";

export const resumeCommandCommand: Command = {
  name: "resume-command",
  summary: "print the exact command that continues the run",
  args: "CKPT",
  positionals: { min: 1, max: 1 },
  description:
    "Prints the command line the run recorded (state.json \"command\"), quoted for a POSIX shell, on stdout\n" +
    "alone, so `eval \"$(nbresume resume-command DIR)\"` continues the run; which checkpoint it resumes from\n" +
    "goes to stderr. CKPT is a checkpoint directory, or a checkpoint root with --ref (default auto: the\n" +
    "newest checkpoint that verifies, the one a rerun resumes from). Exits 1 when there is nothing to\n" +
    "resume (no checkpoint that verifies) or the checkpoint records no command.",
  options: CHECKPOINT_OPTIONS,
  json: true,
  examples: ["nbresume resume-command runs/mnist", "eval \"$(nbresume resume-command runs/mnist)\""],

  async run({ positionals, options, json, out }) {
    const target = await openCheckpoint({
      arg: positionals[0] as string, ref: options["ref"] as string | undefined,
      bestMetric: parseMetricOption(options["metric"] as string | undefined, "resume-command"), verified: true, command: "resume-command",
    });
    try {
      for (const s of target.skipped) out.note(messages.skipped(s.name, s.problem, target.name));
      const info = await target.store.resumeCommand(target.path);
      if (info.command === undefined) throw new NbresumeError(CliErrorCode.NO_COMMAND, messages.noCommand(target.path), { where: target.path });
      if (json) {
        out.json({ checkpoint: info.checkpoint, name: target.name, step: info.step, command: info.command, argv: info.argv ?? null, config: info.config ?? null });
        return 0;
      }
      out.note(messages.resumeFrom(target.name, info.step));
      out.line(info.command);
      return 0;
    } finally {
      await target.store.close();
    }
  },
};
