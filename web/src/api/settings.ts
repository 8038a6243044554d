import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, path } from "./client.ts";
import type {
  ChannelTestResult,
  CreatedToken,
  Delivery,
  Member,
  NotificationChannel,
  PageOf,
  Role,
  TokenInfo,
  User,
} from "./types.ts";

// ── settings ───────────────────────────────────────────────────────────────────────────────────────────────────
export function useTokens() {
  return useQuery({ queryKey: ["tokens"], queryFn: () => api<PageOf<TokenInfo>>("/tokens", { query: { limit: 100 } }) });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; expiresInDays?: number }) => api<CreatedToken>("/tokens", { method: "POST", json: body }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["tokens"] }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(path`/tokens/${id}`, { method: "DELETE" }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["tokens"] }),
  });
}

export function useUsers(enabled: boolean) {
  return useQuery({ queryKey: ["users"], queryFn: () => api<PageOf<User>>("/users", { query: { limit: 200 } }), enabled });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { username: string; password: string; globalAdmin?: boolean }) =>
      api<User>("/users", { method: "POST", json: body }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["users"] }),
  });
}

export function useMembers(slug: string) {
  return useQuery({
    queryKey: ["members", slug],
    queryFn: () => api<{ items: Member[] }>(path`/projects/${slug}/members`),
  });
}

export function useSetMember(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { username: string; role: Role }) =>
      api<Member>(path`/projects/${slug}/members`, { method: "PUT", json: body }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["members", slug] }),
  });
}

export function useRemoveMember(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (username: string) => api<void>(path`/projects/${slug}/members/${username}`, { method: "DELETE" }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["members", slug] }),
  });
}

export function useDeliveries(enabled: boolean) {
  return useQuery({
    queryKey: ["deliveries"],
    queryFn: () => api<PageOf<Delivery>>("/notifications/deliveries", { query: { limit: 20 } }),
    enabled,
  });
}

export function useChannels(slug: string, enabled: boolean) {
  return useQuery({
    queryKey: ["channels", slug],
    queryFn: () => api<{ items: NotificationChannel[] }>(path`/projects/${slug}/notification-channels`),
    enabled,
    refetchInterval: 15_000,
  });
}

export function useTestChannel(slug: string) {
  return useMutation({
    mutationFn: (key: string) =>
      api<ChannelTestResult>(path`/projects/${slug}/notification-channels/${key}/test`, { method: "POST", json: {} }),
  });
}
