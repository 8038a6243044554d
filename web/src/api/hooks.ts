import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, path, send, setCsrfToken } from "./client.ts";
import { DEPLOYMENT_KEYS, poll } from "./live.ts";
import type {
  ApprovalState,
  AuditEvent,
  AuditVerifyResult,
  CommitReport,
  CoverageEntry,
  Deployment,
  DeploymentStatus,
  DoraFigures,
  Environment,
  GateEvaluation,
  MyRole,
  PageOf,
  PendingApproval,
  Project,
  ProjectMatrix,
  ProjectSummary,
  Readiness,
  Release,
  ReleaseDetail,
  ReportRun,
  ReportRunDetail,
  SessionInfo,
  TestCase,
  TrendPoint,
  UiConfig,
} from "./types.ts";

const TERMINAL: readonly string[] = ["succeeded", "failed", "errored", "rejected", "expired", "cancelled", "superseded"];
export const isTerminal = (status: string) => TERMINAL.includes(status);

// ── session ────────────────────────────────────────────────────────────────────────────────────────────────────
export function useSession() {
  return useQuery({
    queryKey: ["session"],
    queryFn: async () => {
      try {
        const session = await api<SessionInfo>("/session");
        setCsrfToken(session.csrfToken);
        return session;
      } catch (error) {
        if (error instanceof Error && "status" in error && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function useUiConfig() {
  return useQuery({ queryKey: ["ui-config"], queryFn: () => api<UiConfig>("/ui-config"), staleTime: Number.POSITIVE_INFINITY });
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { username: string; password: string }) => api<SessionInfo>("/session", { method: "POST", json: body }),
    onSuccess: (session) => {
      setCsrfToken(session.csrfToken);
      client.setQueryData(["session"], session);
    },
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>("/session", { method: "DELETE" }),
    onSettled: () => {
      setCsrfToken(null);
      client.clear();
      client.setQueryData(["session"], null);
    },
  });
}

// ── projects ───────────────────────────────────────────────────────────────────────────────────────────────────
export function useProjectSummaries(cursor: string | undefined) {
  return useQuery({
    queryKey: ["project-summaries", cursor ?? ""],
    queryFn: () => api<PageOf<ProjectSummary>>("/project-summaries", { query: { limit: 20, cursor } }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
}

export function useProjectNames() {
  return useQuery({
    queryKey: ["project-names"],
    queryFn: () => api<PageOf<{ slug: string; name: string }>>("/projects", { query: { limit: 200 } }),
    staleTime: 60_000,
  });
}

export function useProject(slug: string | undefined) {
  return useQuery({
    queryKey: ["project", slug],
    queryFn: () => api<Project>(path`/projects/${slug ?? ""}`),
    enabled: Boolean(slug),
    staleTime: 60_000,
  });
}

export function useMatrix(slug: string, cursor: string | undefined) {
  return useQuery({
    queryKey: ["matrix", slug, cursor ?? ""],
    queryFn: () => api<ProjectMatrix>(path`/projects/${slug}/matrix`, { query: { limit: 25, cursor } }),
    placeholderData: keepPreviousData,
    refetchInterval: () => poll(3_000),
  });
}

export function useMyRole(slug: string | undefined) {
  return useQuery({
    queryKey: ["my-role", slug],
    queryFn: () => api<MyRole>(path`/projects/${slug ?? ""}/my-role`),
    enabled: Boolean(slug),
    staleTime: 30_000,
  });
}

export function useDora(slug: string, days: 7 | 30 | 90) {
  return useQuery({
    queryKey: ["dora", slug, days],
    queryFn: () => api<DoraFigures>(path`/projects/${slug}/dora`, { query: { days } }),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
}

export function useEnvironments(slug: string) {
  return useQuery({
    queryKey: ["environments", slug],
    queryFn: () => api<{ items: Environment[] }>(path`/projects/${slug}/environments`),
    refetchInterval: () => poll(5_000),
  });
}

export function useProjectConfig(slug: string) {
  return useQuery({
    queryKey: ["config", slug],
    queryFn: async () => {
      try {
        return await (await send(path`/projects/${slug}/config`, { headers: { accept: "application/yaml" } })).text();
      } catch {
        return null;
      }
    },
  });
}

// ── releases and deployments ───────────────────────────────────────────────────────────────────────────────────
export function useReleases(slug: string, cursor: string | undefined) {
  return useQuery({
    queryKey: ["releases", slug, cursor ?? ""],
    queryFn: () => api<PageOf<Release>>(path`/projects/${slug}/releases`, { query: { limit: 30, cursor } }),
    placeholderData: keepPreviousData,
  });
}

export function useRelease(slug: string, version: string) {
  return useQuery({
    queryKey: ["release", slug, version],
    queryFn: () => api<ReleaseDetail>(path`/projects/${slug}/releases/${version}`),
    enabled: Boolean(version),
    refetchInterval: (query) =>
      poll(query.state.data?.environments.some((e) => e.deployments.some((d) => !isTerminal(d.status))) ? 1_500 : 10_000),
  });
}

export function useReadiness(slug: string, version: string) {
  return useQuery({
    queryKey: ["readiness", slug, version],
    queryFn: () => api<Readiness>(path`/projects/${slug}/releases/${version}/readiness`),
    // Freeze windows open and close with time alone: a shorter safety net than the other live queries.
    refetchInterval: () => poll(5_000, 15_000),
  });
}

export function useDeployments(
  slug: string,
  filter: {
    cursor?: string | undefined;
    environment?: string | undefined;
    status?: DeploymentStatus | undefined;
    limit?: number;
  },
) {
  return useQuery({
    queryKey: ["deployments", slug, filter],
    queryFn: () =>
      api<PageOf<Deployment>>(path`/projects/${slug}/deployments`, {
        query: { limit: filter.limit ?? 30, cursor: filter.cursor, environment: filter.environment, status: filter.status },
      }),
    placeholderData: keepPreviousData,
    refetchInterval: () => poll(5_000),
  });
}

export function useDeployment(id: string) {
  return useQuery({
    queryKey: ["deployment", id],
    queryFn: () => api<Deployment>(path`/deployments/${id}`),
    refetchInterval: (query) => (query.state.data && isTerminal(query.state.data.status) ? false : poll(1_000, 15_000)),
  });
}

export function useGates(id: string | undefined) {
  return useQuery({
    queryKey: ["gates", id],
    queryFn: () => api<GateEvaluation | null>(path`/deployments/${id ?? ""}/gates`),
    enabled: Boolean(id),
  });
}

export function useApproval(id: string | undefined, live = false) {
  return useQuery({
    queryKey: ["approval", id],
    queryFn: () => api<ApprovalState>(path`/deployments/${id ?? ""}/approvals`),
    enabled: Boolean(id),
    refetchInterval: live ? () => poll(3_000) : false,
  });
}

export function usePendingApprovals() {
  return useQuery({
    queryKey: ["approvals", "mine"],
    queryFn: () => api<{ items: PendingApproval[] }>("/approvals", { query: { mine: "pending" } }),
    refetchInterval: 10_000,
  });
}

/** After any action on deployments, everything showing them is refetched. */
function useInvalidateDeployments() {
  const client = useQueryClient();
  return () => Promise.all(DEPLOYMENT_KEYS.map((key) => client.invalidateQueries({ queryKey: [key] })));
}

export function usePromote(slug: string) {
  const invalidate = useInvalidateDeployments();
  return useMutation({
    mutationFn: (input: { version: string; environment: string; overrideReason?: string }) =>
      api<Deployment>(path`/projects/${slug}/releases/${input.version}/promote`, {
        method: "POST",
        headers: { "idempotency-key": crypto.randomUUID() },
        json: {
          environment: input.environment,
          ...(input.overrideReason ? { override: { reason: input.overrideReason } } : {}),
        },
      }),
    onSuccess: invalidate,
  });
}

export function useRollback(slug: string) {
  const invalidate = useInvalidateDeployments();
  return useMutation({
    mutationFn: (environment: string) =>
      api<Deployment>(path`/projects/${slug}/environments/${environment}/rollback`, {
        method: "POST",
        headers: { "idempotency-key": crypto.randomUUID() },
        json: {},
      }),
    onSuccess: invalidate,
  });
}

export function useDecide() {
  const invalidate = useInvalidateDeployments();
  return useMutation({
    mutationFn: (input: { deploymentId: string; decision: "approve" | "reject"; comment: string }) =>
      api<ApprovalState>(path`/deployments/${input.deploymentId}/${input.decision}`, {
        method: "POST",
        json: input.comment ? { comment: input.comment } : {},
      }),
    onSuccess: invalidate,
  });
}

/** Decides through a notification's single-use link (the signed-in person must still be allowed to decide). */
export function useDecideByLink() {
  const invalidate = useInvalidateDeployments();
  return useMutation({
    mutationFn: (input: { token: string; comment: string }) =>
      api<ApprovalState>(path`/approval-links/${input.token}`, {
        method: "POST",
        json: input.comment ? { comment: input.comment } : {},
      }),
    onSuccess: invalidate,
  });
}

export function useCancel() {
  const invalidate = useInvalidateDeployments();
  return useMutation({
    mutationFn: (id: string) => api<Deployment>(path`/deployments/${id}/cancel`, { method: "POST", json: {} }),
    onSuccess: invalidate,
  });
}

// ── reports ────────────────────────────────────────────────────────────────────────────────────────────────────
export function useReportRuns(
  slug: string,
  filter: { cursor?: string | undefined; branch?: string; kind?: string; commit?: string },
) {
  return useQuery({
    queryKey: ["report-runs", slug, filter],
    queryFn: () =>
      api<PageOf<ReportRun>>(path`/projects/${slug}/report-runs`, {
        query: { limit: 30, cursor: filter.cursor, branch: filter.branch, kind: filter.kind, commit: filter.commit },
      }),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
}

export function useReportRun(id: string) {
  return useQuery({ queryKey: ["report-run", id], queryFn: () => api<ReportRunDetail>(path`/report-runs/${id}`) });
}

/** One test case whole (lists cut long stacks); fetched only when `enabled`. */
export function useTestCase(runId: string, caseId: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ["report-test", runId, caseId],
    queryFn: () =>
      api<TestCase & { systemOut: string | null; systemErr: string | null }>(path`/report-runs/${runId}/tests/${caseId ?? ""}`),
    enabled: enabled && caseId !== undefined,
  });
}

export function useReportTests(id: string, filter: { status?: string; q?: string; cursor?: string | undefined }) {
  return useQuery({
    queryKey: ["report-tests", id, filter],
    queryFn: () =>
      api<PageOf<TestCase>>(path`/report-runs/${id}/tests`, {
        query: { limit: 100, status: filter.status, q: filter.q, cursor: filter.cursor },
      }),
    placeholderData: keepPreviousData,
  });
}

/** A run's coverage files, a page of 200 at a time (`fetchNextPage` for more). */
export function useCoverageFiles(id: string) {
  return useInfiniteQuery({
    queryKey: ["coverage", id],
    queryFn: ({ pageParam }) =>
      api<PageOf<CoverageEntry>>(path`/report-runs/${id}/coverage`, { query: { limit: 200, cursor: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useTrends(slug: string, branch: string | undefined, kind: string | undefined) {
  return useQuery({
    queryKey: ["trends", slug, branch, kind],
    queryFn: () => api<{ items: TrendPoint[] }>(path`/projects/${slug}/report-trends`, { query: { branch, kind, limit: 30 } }),
    enabled: Boolean(branch),
  });
}

export function useCommitReport(slug: string, sha: string | undefined) {
  return useQuery({
    queryKey: ["commit-report", slug, sha],
    queryFn: () => api<CommitReport>(path`/projects/${slug}/commits/${sha ?? ""}/report`),
    enabled: Boolean(sha),
    refetchInterval: 5_000,
  });
}

// ── audit ──────────────────────────────────────────────────────────────────────────────────────────────────────
export function useAudit(filter: {
  cursor?: string | undefined;
  project?: string;
  actor?: string;
  action?: string;
  subject?: string;
}) {
  return useQuery({
    queryKey: ["audit", filter],
    queryFn: () => api<PageOf<AuditEvent>>("/audit", { query: { limit: 50, ...filter } }),
    placeholderData: keepPreviousData,
  });
}

export function useAuditVerify(enabled: boolean) {
  return useQuery({ queryKey: ["audit-verify"], queryFn: () => api<AuditVerifyResult>("/audit/verify"), enabled });
}
