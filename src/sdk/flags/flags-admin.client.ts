import type { PageOf } from "../../shared/api.ts";
import type {
  CreatedSdkKey,
  CreateFlagBody,
  Flag,
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

  setFlagState(slug: string, env: string, key: string, body: SetFlagStateBody): Promise<Flag> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flags/${key}`, { method: "PUT", json: body });
  }

  enableFlag(slug: string, env: string, key: string, enabled: boolean, reason?: string): Promise<Flag> {
    const verb = enabled ? "enable" : "disable";
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flags/${key}/${verb}`, {
      method: "POST",
      json: reason ? { reason } : {},
    });
  }

  rolloutFlag(slug: string, env: string, key: string, body: RolloutBody): Promise<Flag> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flags/${key}/rollout`, { method: "PUT", json: body });
  }

  promoteFlags(slug: string, body: PromoteFlagsBody): Promise<PromoteFlagsResult> {
    return this.json(path`/api/v1/projects/${slug}/flag-promotions`, { method: "POST", json: body });
  }

  flagHistory(slug: string, env: string, page: PageRequest = {}): Promise<PageOf<FlagSetVersion>> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flag-versions`, { query: { ...page } });
  }

  restoreFlags(slug: string, env: string, version: number, reason?: string): Promise<FlagSetVersion> {
    return this.json(path`/api/v1/projects/${slug}/environments/${env}/flag-restores`, {
      method: "POST",
      json: { version, ...(reason ? { reason } : {}) },
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
