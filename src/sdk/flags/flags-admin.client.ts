import type { PageOf } from "../../shared/api.ts";
import type {
  CreatedSdkKey,
  CreateFlagBody,
  Flag,
  FlagChangeRequest,
  FlagChangeStatus,
  FlagSetVersion,
  PromoteFlagsBody,
  PromoteFlagsResult,
  RolloutBody,
  SetFlagStateBody,
  StaleFlag,
} from "../../shared/flags/flags.api.ts";
import type { FlagSet } from "../../shared/flags/flags.types.ts";
import type { PageRequest } from "../paginate.ts";
import { ApiTransport, path } from "../transport.ts";

/** A change's reason, and `scheduleAt` to apply it later (the server then answers with a change request). */
export interface ChangeOptions {
  reason?: string | undefined;
  scheduleAt?: string | undefined;
}

/** Typed client of the flag management API (`/api/v1/projects/{slug}/…flags…`), with an API token. */
export class FlagsAdminClient extends ApiTransport {
  createFlag(slug: string, body: CreateFlagBody): Promise<Flag> {
    return this.json(path`/api/v1/projects/${slug}/flags`, { method: "POST", json: body });
  }

  getFlag(slug: string, key: string): Promise<Flag> {
    return this.json(path`/api/v1/projects/${slug}/flags/${key}`);
  }

  listFlags(slug: string, page: PageRequest = {}): Promise<PageOf<Flag>> {
    return this.json(path`/api/v1/projects/${slug}/flags`, { query: { ...page } });
  }

  /** The flag, or the change request when it was scheduled (`scheduleAt`) or the environment needs approval (202). */
  setFlagState(slug: string, env: string, key: string, body: SetFlagStateBody): Promise<Flag | FlagChangeRequest> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flags/${key}`, { method: "PUT", json: body });
  }

  enableFlag(
    slug: string,
    env: string,
    key: string,
    enabled: boolean,
    reasonOrOptions: string | ChangeOptions = {},
  ): Promise<Flag | FlagChangeRequest> {
    const options = typeof reasonOrOptions === "string" ? { reason: reasonOrOptions } : reasonOrOptions;
    const verb = enabled ? "enable" : "disable";
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flags/${key}/${verb}`, {
      method: "POST",
      json: {
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.scheduleAt ? { scheduleAt: options.scheduleAt } : {}),
      },
    });
  }

  rolloutFlag(slug: string, env: string, key: string, body: RolloutBody): Promise<Flag | FlagChangeRequest> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flags/${key}/rollout`, { method: "PUT", json: body });
  }

  promoteFlags(slug: string, body: PromoteFlagsBody): Promise<PromoteFlagsResult> {
    return this.json(path`/api/v1/projects/${slug}/flag-promotions`, { method: "POST", json: body });
  }

  flagHistory(slug: string, env: string, page: PageRequest = {}): Promise<PageOf<FlagSetVersion>> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flag-versions`, { query: { ...page } });
  }

  restoreFlags(
    slug: string,
    env: string,
    version: number,
    reasonOrOptions: string | ChangeOptions = {},
  ): Promise<FlagSetVersion | FlagChangeRequest> {
    const options = typeof reasonOrOptions === "string" ? { reason: reasonOrOptions } : reasonOrOptions;
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flag-restores`, {
      method: "POST",
      json: {
        version,
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.scheduleAt ? { scheduleAt: options.scheduleAt } : {}),
      },
    });
  }

  listFlagChanges(
    slug: string,
    query: PageRequest & { status?: FlagChangeStatus; environment?: string } = {},
  ): Promise<PageOf<FlagChangeRequest>> {
    return this.json(path`/api/v1/projects/${slug}/flag-changes`, { query: { ...query } });
  }

  getFlagChange(slug: string, id: string): Promise<FlagChangeRequest> {
    return this.json(path`/api/v1/projects/${slug}/flag-changes/${id}`);
  }

  /** approve / reject (a rejection needs a comment) / cancel a scheduled or pending change. */
  decideFlagChange(
    slug: string,
    id: string,
    verb: "approve" | "reject" | "cancel",
    comment?: string,
  ): Promise<FlagChangeRequest> {
    return this.json(path`/api/v1/projects/${slug}/flag-changes/${id}/${verb}`, {
      method: "POST",
      ...(verb === "cancel" ? {} : { json: comment ? { comment } : {} }),
    });
  }

  flagSnapshot(slug: string, env: string, version?: number): Promise<FlagSet> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flags/snapshot`, { query: { version } });
  }

  staleFlags(slug: string, days: number): Promise<{ items: StaleFlag[] }> {
    return this.json(path`/api/v1/projects/${slug}/flag-reports/stale`, { query: { days } });
  }

  createSdkKey(slug: string, env: string, name: string): Promise<CreatedSdkKey> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/sdk-keys`, { method: "POST", json: { name } });
  }
}
