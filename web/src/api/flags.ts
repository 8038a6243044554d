import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Flag, FlagChangeRequest, FlagSetVersion } from "../../../src/shared/flags/flags.api.ts";
import { api, path } from "./client.ts";
import type { PageOf } from "./types.ts";

export type { Flag, FlagChangeRequest, FlagSetVersion };

/** A change the server applied (the flag) or recorded as a change request (scheduled or waiting for approval). */
export type FlagOutcome = Flag | FlagChangeRequest;
export const isChangeRequest = (value: FlagOutcome): value is FlagChangeRequest => "status" in value && "patches" in value;

export function useFlags(slug: string) {
  return useQuery({
    queryKey: ["flags", slug],
    queryFn: () => api<PageOf<Flag>>(path`/projects/${slug}/flags`, { query: { limit: 200 } }),
    refetchInterval: 5_000,
  });
}

export function useFlag(slug: string, key: string) {
  return useQuery({
    queryKey: ["flags", slug, key],
    queryFn: () => api<Flag>(path`/projects/${slug}/flags/${key}`),
    refetchInterval: 5_000,
  });
}

export function useFlagHistory(slug: string, env: string | undefined, limit = 50) {
  return useQuery({
    queryKey: ["flag-history", slug, env, limit],
    queryFn: () =>
      api<PageOf<FlagSetVersion>>(path`/projects/${slug}/environments/${env ?? ""}/flag-versions`, { query: { limit } }),
    enabled: Boolean(env),
    refetchInterval: 5_000,
  });
}

export function useFlagChanges(slug: string) {
  return useQuery({
    queryKey: ["flag-changes", slug],
    queryFn: () => api<PageOf<FlagChangeRequest>>(path`/projects/${slug}/flag-changes`, { query: { limit: 100 } }),
    refetchInterval: 5_000,
  });
}

function useInvalidateFlags(slug: string) {
  const client = useQueryClient();
  return () =>
    Promise.all(["flags", "flag-history", "flag-changes"].map((key) => client.invalidateQueries({ queryKey: [key, slug] })));
}

export function useToggleFlag(slug: string) {
  const invalidate = useInvalidateFlags(slug);
  return useMutation({
    mutationFn: (input: { env: string; key: string; enabled: boolean; reason?: string }) =>
      api<FlagOutcome>(
        path`/projects/${slug}/environments/${input.env}/flags/${input.key}/${input.enabled ? "enable" : "disable"}`,
        { method: "POST", json: input.reason ? { reason: input.reason } : {} },
      ),
    onSuccess: invalidate,
  });
}

export function useRolloutFlag(slug: string) {
  const invalidate = useInvalidateFlags(slug);
  return useMutation({
    mutationFn: (input: { env: string; key: string; percentage: number; reason?: string }) =>
      api<FlagOutcome>(path`/projects/${slug}/environments/${input.env}/flags/${input.key}/rollout`, {
        method: "PUT",
        json: { percentage: input.percentage, ...(input.reason ? { reason: input.reason } : {}) },
      }),
    onSuccess: invalidate,
  });
}

export function useDecideFlagChange(slug: string) {
  const invalidate = useInvalidateFlags(slug);
  return useMutation({
    mutationFn: (input: { id: string; verb: "approve" | "reject" | "cancel"; comment?: string }) =>
      api<FlagChangeRequest>(path`/projects/${slug}/flag-changes/${input.id}/${input.verb}`, {
        method: "POST",
        ...(input.verb === "cancel" ? {} : { json: input.comment ? { comment: input.comment } : {} }),
      }),
    onSuccess: invalidate,
  });
}
