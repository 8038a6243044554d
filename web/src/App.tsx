import { lazy, Suspense } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { useSession } from "./api/hooks.ts";
import { Loading } from "./components/States.tsx";
import { Layout } from "./Layout.tsx";
import { Projects } from "./pages/Projects.tsx";
import { SignIn } from "./pages/SignIn.tsx";

// Pages load on demand: the first screen ships sign-in, the shell and the projects list only.
const Overview = lazy(() => import("./pages/Overview.tsx"));
const Releases = lazy(() => import("./pages/Releases.tsx"));
const ReleasePage = lazy(() => import("./pages/Release.tsx"));
const Deployments = lazy(() => import("./pages/Deployments.tsx"));
const DeploymentPage = lazy(() => import("./pages/Deployment.tsx"));
const Reports = lazy(() => import("./pages/Reports.tsx"));
const ReportRunPage = lazy(() => import("./pages/ReportRun.tsx"));
const Approvals = lazy(() => import("./pages/Approvals.tsx"));
const ApprovalPage = lazy(() => import("./pages/Approval.tsx"));
const Audit = lazy(() => import("./pages/Audit.tsx"));
const Settings = lazy(() => import("./pages/Settings.tsx"));
const ProjectSettings = lazy(() => import("./pages/ProjectSettings.tsx"));
const Runs = lazy(() => import("./pages/Runs.tsx"));
const Flags = lazy(() => import("./pages/Flags.tsx"));
const FlagPage = lazy(() => import("./pages/Flag.tsx"));
const RunPage = lazy(() => import("./pages/Run.tsx"));

function RequireSession({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <Loading label="Checking your session" />;
  if (!session.data)
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`} replace />;
  return <>{children}</>;
}

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignIn />} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={<Projects />} />
        <Route path="approvals" element={<Lazy page={<Approvals />} />} />
        <Route path="approvals/:id" element={<Lazy page={<ApprovalPage />} />} />
        <Route path="deployments/:id" element={<Lazy page={<DeploymentPage />} />} />
        <Route path="reports/:id" element={<Lazy page={<ReportRunPage />} />} />
        <Route path="runs/:id" element={<Lazy page={<RunPage />} />} />
        <Route path="audit" element={<Lazy page={<Audit />} />} />
        <Route path="settings" element={<Lazy page={<Settings />} />} />
        <Route path="p/:slug" element={<Lazy page={<Overview />} />} />
        <Route path="p/:slug/releases" element={<Lazy page={<Releases />} />} />
        <Route path="p/:slug/releases/:version" element={<Lazy page={<ReleasePage />} />} />
        <Route path="p/:slug/deployments" element={<Lazy page={<Deployments />} />} />
        <Route path="p/:slug/reports" element={<Lazy page={<Reports />} />} />
        <Route path="p/:slug/runs" element={<Lazy page={<Runs />} />} />
        <Route path="p/:slug/flags" element={<Lazy page={<Flags />} />} />
        <Route path="p/:slug/flags/:key" element={<Lazy page={<FlagPage />} />} />
        <Route path="p/:slug/settings" element={<Lazy page={<ProjectSettings />} />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function Lazy({ page }: { page: React.ReactNode }) {
  return <Suspense fallback={<Loading label="Loading page" />}>{page}</Suspense>;
}

function NotFound() {
  return (
    <div className="empty">
      <h1>Nothing here</h1>
      <p>
        This address does not match a page. <a href="/">Go to your projects</a>.
      </p>
    </div>
  );
}
