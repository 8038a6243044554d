import { Command, CommanderError, Option } from "commander";
import { registerApprove } from "./commands/approval-approve.ts";
import { registerApprovalsGet } from "./commands/approval-get.ts";
import { registerApprovalsList } from "./commands/approval-list.ts";
import { registerReject } from "./commands/approval-reject.ts";
import { registerAuditExport } from "./commands/audit-export.ts";
import { registerAuditList } from "./commands/audit-list.ts";
import { registerAuditVerify } from "./commands/audit-verify.ts";
import { registerLogin } from "./commands/auth-login.ts";
import { registerLogout } from "./commands/auth-logout.ts";
import { registerDeployCancel } from "./commands/deploy-cancel.ts";
import { registerDeployGet } from "./commands/deploy-get.ts";
import { registerDeployList } from "./commands/deploy-list.ts";
import { registerDeployLog } from "./commands/deploy-log.ts";
import { registerEnvList } from "./commands/env-list.ts";
import { registerRollback } from "./commands/env-rollback.ts";
import { registerFlagCommands } from "./commands/flag-commands.ts";
import { registerLogsTail } from "./commands/logs-tail.ts";
import { registerMemberList } from "./commands/member-list.ts";
import { registerMemberRemove } from "./commands/member-remove.ts";
import { registerMemberSet } from "./commands/member-set.ts";
import { registerMetricsPush } from "./commands/metrics-push.ts";
import { registerProjectApply } from "./commands/project-apply.ts";
import { registerProjectList } from "./commands/project-list.ts";
import { registerStatus } from "./commands/project-status.ts";
import { registerReleaseCreate } from "./commands/release-create.ts";
import { registerReleaseGet } from "./commands/release-get.ts";
import { registerReleaseList } from "./commands/release-list.ts";
import { registerPromote } from "./commands/release-promote.ts";
import { registerReportUpload } from "./commands/report-upload.ts";
import { registerRunCreate } from "./commands/run-create.ts";
import { registerRunEnd } from "./commands/run-end.ts";
import { registerRunGet } from "./commands/run-get.ts";
import { registerRunImportLogs } from "./commands/run-import-logs.ts";
import { registerRunList } from "./commands/run-list.ts";
import { registerRunSummary } from "./commands/run-summary.ts";
import { registerSecretDelete } from "./commands/secret-delete.ts";
import { registerSecretList } from "./commands/secret-list.ts";
import { registerSecretSet } from "./commands/secret-set.ts";
import { registerSparkUpload } from "./commands/spark-upload.ts";
import { registerTokenCreate } from "./commands/token-create.ts";
import { registerTokenList } from "./commands/token-list.ts";
import { registerTokenRevoke } from "./commands/token-revoke.ts";
import { registerUserCreate } from "./commands/user-create.ts";
import { registerUserDisable } from "./commands/user-disable.ts";
import { registerUserList } from "./commands/user-list.ts";
import { CliContext, type CliIo } from "./context.ts";
import { exitCodeFor, formatError } from "./errors.ts";
import { serverUrl } from "./options.ts";

const OVERVIEW = `
Usage by task:
  stagegate project apply -f stagegate.yaml [--prune]    create/update a project and its environments
  stagegate project list                                 list projects
  stagegate env list -p <project>                        environments in lifecycle order, what runs where
  stagegate release create -p <project> --version <v> --commit <sha> --branch <b>
  stagegate release list -p <project>                    releases, newest first
  stagegate release get -p <project> <version>           a release and its deployments
  stagegate promote -p <project> <version> --to <env> [--wait]
  stagegate rollback -p <project> --env <env> [--wait]
  stagegate status -p <project>                          release × environment matrix
  stagegate secret set -p <project> [--env <env>] <NAME>  set a secret from stdin (never printed or returned)
  stagegate secret list -p <project>                     secret names and versions
  stagegate deploy get <id>                              one deployment
  stagegate deploy list -p <project> [--env <env>] [--status <status>]
  stagegate deploy log <id> [--follow]                   a deployment's log
  stagegate deploy cancel <id>                           stop a deployment
  stagegate approvals list                               deployments waiting for your approval
  stagegate approvals get <deployment-id>                who approved, which groups are open, when it expires
  stagegate approve <deployment-id> [--comment <text>]   approve; the last required approval queues the deployment
  stagegate approve -p <project> <version> --env <env> [--env <env2>…]
                                                         approve a release waiting in several environments
  stagegate reject <deployment-id> --comment <text>      reject, saying why
  stagegate login -u <username> [--password-stdin]       sign in; stores a personal token for this server
  stagegate logout                                       revoke and forget that token
  stagegate token create --name <name> [--kind personal|service] [--role <role>] [-p <project>…] [--expires-in-days <n>]
  stagegate token list                                   your tokens (all, for a global admin)
  stagegate token revoke <id>
  stagegate user create <username> [--password-stdin] [--global-admin]
  stagegate user list
  stagegate member set -p <project> <username> <role>    roles: viewer < developer < approver < admin
  stagegate member list -p <project>
  stagegate member remove -p <project> <username>
  stagegate report upload -p <project> [--commit <sha> --branch <b>] [--base <sha>] [--fail-on-gate <env>] <files…>
                                                         send JUnit and coverage reports of a commit from CI
  stagegate audit list [-p <project>] [--subject <type:id>] [--actor <name>]
                                                         audit events, newest first
  stagegate audit verify [--file audit.ndjson]           check the audit hash chain (exit 1 if broken)
  stagegate audit export > audit.ndjson                  the audit log as NDJSON, for offline verification
  stagegate run create -p <project> --name <job> [--env <env>] [--release <v>]
                                                         start a pipeline run; prints its ingest token
  stagegate run get <run>                                one run: status, release, timings
  stagegate run list -p <project> [--name <job>] [--env <env>] [--status <status>]
                                                         runs, newest first
  stagegate run summary <run>                            duration, nodes, top errors, alerts, comparison
  stagegate run end <run> --status succeeded|failed|unknown
                                                         end a run (the run's ingest token may do this)
  stagegate run import-logs <run> <dir|zip>              import a Databricks/Spark cluster log folder or zip into a run
  stagegate logs tail <run> [--node <n>] [--level <l>] [--grep <words>] [--follow]
                                                         every node's log of a run, merged in time order
  stagegate metrics push <run> --format nvidia-smi|prometheus <file>
                                                         send GPU/host samples to a run
  stagegate spark upload <run> <path>                    analyse a Spark event log (or eventlog_v2_* dir) on a run
  stagegate flag create -p <project> <key> [--type <t>] [--variant name=value…]
  stagegate flag rollout -p <project> -e <env> <key> <percentage>   sticky percentage rollout
  stagegate flag enable|disable -p <project> -e <env> <key>         turn on / kill switch
  stagegate flag promote -p <project> --from <env> --to <env> [keys…] [--dry-run]
  stagegate flag get|list|set|history|diff|stale|restore|snapshot|sdk-key  (see stagegate flag --help)

Without --token or STAGEGATE_TOKEN, the token stored by stagegate login for --server is used, else the one in
./data/admin-token (written by a local server).
Exit codes: 0 ok, 1 the operation failed (deploy failed, conflict, refused by the approval policy, server error),
2 usage error, 3 not authenticated, not allowed or not found.
`;

/**
 * Runs the CLI on `argv` in process.argv form (`[node, script, ...args]`) and returns the exit code instead of
 * exiting, so tests can run it in-process.
 */
export async function run(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.command.parseAsync(argv, { from: "node" });
    return program.context.exitCode;
  } catch (error) {
    // Commander has already printed its own usage errors (through configureOutput below).
    if (!(error instanceof CommanderError)) io.stderr.write(formatError(error));
    return exitCodeFor(error);
  }
}

function buildProgram(io: CliIo): { command: Command; context: CliContext } {
  const program = new Command("stagegate");
  const context = new CliContext(program, io);
  program
    .description("stagegate: promote releases through environments, with gates, approvals and deploys")
    .addOption(
      new Option("--server <url>", "stagegate server URL")
        .env("STAGEGATE_URL")
        .default("http://localhost:8080")
        .argParser(serverUrl),
    )
    .addOption(new Option("--token <token>", "API token").env("STAGEGATE_TOKEN"))
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"))
    // Set before any subcommand exists: subcommands copy these settings when they are created.
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(add --help for usage and examples)")
    .addHelpText("after", OVERVIEW);

  const noun = (name: string, description: string) => program.command(name).description(description);
  const project = noun("project", "projects and their stagegate.yaml: apply, list");
  registerProjectApply(project, context);
  registerProjectList(project, context);
  registerEnvList(noun("env", "environments of a project: list"), context);
  const release = noun("release", "immutable releases: create, list, get");
  registerReleaseCreate(release, context);
  registerReleaseList(release, context);
  registerReleaseGet(release, context);
  registerPromote(program, context);
  registerRollback(program, context);
  registerStatus(program, context);
  const secret = noun("secret", "encrypted secrets for ${secret:NAME} in executor configs: set, list, delete");
  registerSecretSet(secret, context);
  registerSecretList(secret, context);
  registerSecretDelete(secret, context);
  const deploy = noun("deploy", "deployments: get, list, log, cancel");
  registerDeployGet(deploy, context);
  registerDeployList(deploy, context);
  registerDeployLog(deploy, context);
  registerDeployCancel(deploy, context);
  registerApprove(program, context);
  registerReject(program, context);
  const approvals = noun("approvals", "deployments waiting for approval: list, get");
  registerApprovalsList(approvals, context);
  registerApprovalsGet(approvals, context);
  const token = noun("token", "API tokens: create, list, revoke");
  registerTokenCreate(token, context);
  registerTokenList(token, context);
  registerTokenRevoke(token, context);
  registerLogin(program, context);
  registerLogout(program, context);
  const user = noun("user", "users: create, list");
  registerUserCreate(user, context);
  registerUserList(user, context);
  registerUserDisable(user, context);
  const member = noun("member", "project members and their roles: set, list, remove");
  registerMemberSet(member, context);
  registerMemberList(member, context);
  registerMemberRemove(member, context);
  registerReportUpload(noun("report", "CI test and coverage reports: upload"), context);
  const audit = noun("audit", "the hash-chained audit log: list, verify, export");
  registerAuditList(audit, context);
  registerAuditVerify(audit, context);
  registerAuditExport(audit, context);
  const runNoun = noun("run", "pipeline runs: create, get, list, summary, end, import-logs");
  registerRunCreate(runNoun, context);
  registerRunGet(runNoun, context);
  registerRunList(runNoun, context);
  registerRunSummary(runNoun, context);
  registerRunEnd(runNoun, context);
  registerRunImportLogs(runNoun, context);
  registerLogsTail(noun("logs", "a run's logs of every node: tail"), context);
  registerMetricsPush(noun("metrics", "GPU and host metrics of a run: push"), context);
  registerSparkUpload(noun("spark", "Spark event-log diagnosis of a run: upload"), context);
  registerFlagCommands(noun("flag", "feature flags per environment: create, set, rollout, promote, history…"), context);
  return { command: program, context };
}
