import type { ChannelType, Notifier, SmtpSettings } from "../notifications.types.ts";
import { createEmailNotifier } from "./email.notifier.ts";
import { slackNotifier } from "./slack.notifier.ts";
import { teamsNotifier } from "./teams.notifier.ts";
import { webhookNotifier } from "./webhook.notifier.ts";

/** One notifier per channel type; email needs the server's SMTP settings (null: email channels fail, saying why). */
export function createNotifiers(deps: { smtp: SmtpSettings | null; timeoutMs?: number }): Record<ChannelType, Notifier> {
  return {
    slack: slackNotifier,
    teams: teamsNotifier,
    email: createEmailNotifier(deps.smtp, deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    webhook: webhookNotifier,
  };
}
