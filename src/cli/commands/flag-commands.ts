import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerFlagReadCommands } from "./flag-read.ts";
import { registerFlagWriteCommands } from "./flag-write.ts";

/** `stagegate flag create|get|list|set|enable|disable|rollout|promote|restore|history|diff|stale|snapshot|sdk-key`. */
export function registerFlagCommands(flag: Command, ctx: CliContext): void {
  registerFlagWriteCommands(flag, ctx);
  registerFlagReadCommands(flag, ctx);
}
