import type { Command } from "commander";
import type { CreateReleaseBody } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { releaseFields } from "../render.ts";

interface CreateOptions {
  project: string;
  version: string;
  commit: string;
  branch: string;
  artifactUrl?: string;
  digest?: string;
  notes?: string;
}

export function registerReleaseCreate(release: Command, ctx: CliContext): void {
  release
    .command("create")
    .description("record an immutable release; re-running with the same values is a no-op, different ones a conflict")
    .addOption(projectOption())
    .requiredOption("--version <version>", "release version, e.g. 1.4.0 or 2026.11.25-3")
    .requiredOption("--commit <sha>", "git commit SHA (7-64 hex characters)")
    .requiredOption("--branch <branch>", "branch the commit was built from")
    .option("--artifact-url <url>", "where the built artifact lives")
    .option("--digest <digest>", "artifact digest, e.g. sha256:3f2a…")
    .option("--notes <text>", "release notes")
    .addHelpText(
      "after",
      examples(
        'stagegate release create -p demo --version 1.4.0 --commit "$GITHUB_SHA" --branch main',
        "stagegate release create -p demo --version 1.4.0 --commit 3f2a9c1 --branch main \\\n      --artifact-url s3://builds/demo-1.4.0.tgz --digest sha256:9b1c… --notes 'faster scoring'",
      ),
    )
    .action(async (options: CreateOptions) => {
      const body: CreateReleaseBody = {
        version: options.version,
        commitSha: options.commit,
        branch: options.branch,
        ...(options.artifactUrl === undefined ? {} : { artifactUrl: options.artifactUrl }),
        ...(options.digest === undefined ? {} : { artifactDigest: options.digest }),
        ...(options.notes === undefined ? {} : { notes: options.notes }),
      };
      const created = await ctx.client().createRelease(options.project, body);
      ctx.emit(created, (release) => `release ${release.version} of ${options.project} recorded\n${releaseFields(release)}`);
    });
}
