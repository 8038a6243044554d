import { type Command, InvalidArgumentError } from "commander";
import { ROLES, type Role } from "../../shared/roles.ts";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";

function role(value: string): Role {
  const found = ROLES.find((candidate) => candidate === value);
  if (!found) throw new InvalidArgumentError(`expected one of ${ROLES.join(", ")}.`);
  return found;
}

export function registerMemberSet(member: Command, ctx: CliContext): void {
  member
    .command("set")
    .description("add a user to a project or change their role there (project admins)")
    .addOption(projectOption())
    .argument("<username>", "the user")
    .argument("<role>", `one of ${ROLES.join(" < ")}`, role)
    .addHelpText("after", examples("stagegate member set -p shop alice developer", "stagegate member set -p shop bob approver"))
    .action(async (username: string, memberRole: Role, options: { project: string }) => {
      const member = await ctx.client().setMember(options.project, { username, role: memberRole });
      ctx.emit(member, (m) => `${m.username} is ${m.role} in ${options.project}`);
    });
}
