import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerFlagChangeCommands } from "./flag-changes.ts";
import { registerFlagReadCommands } from "./flag-read.ts";
import { registerFlagWriteCommands } from "./flag-write.ts";

/**
 * `stagegate flag create|get|list|set|enable|disable|rollout|promote|restore|history|diff|stale|snapshot|sdk-key`
 * and `changes|approve|reject|cancel`; changes take `--at <time>` to be scheduled.
 */
export function registerFlagCommands(flag: Command, ctx: CliContext): void {
  registerFlagWriteCommands(flag, ctx);
  registerFlagReadCommands(flag, ctx);
  registerFlagChangeCommands(flag, ctx);
}
