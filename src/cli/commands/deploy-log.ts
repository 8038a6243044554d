import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";

export function registerDeployLog(deploy: Command, ctx: CliContext): void {
  deploy
    .command("log")
    .description("print a deployment's log (`<time> <stream> <message>` lines); plain text whatever -o says")
    .argument("<id>", "deployment id")
    .option("-f, --follow", "keep printing new lines until the deployment ends", false)
    .addHelpText("after", examples("stagegate deploy log dep_01jd7x3k2m", "stagegate deploy log dep_01jd7x3k2m --follow"))
    .action(async (id: string, options: { follow: boolean }) => {
      const client = ctx.client();
      if (!options.follow) {
        const text = await client.getLog(id);
        if (text !== "") ctx.io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
        return;
      }
      for await (const line of client.followLog(id)) ctx.out(line);
    });
}
