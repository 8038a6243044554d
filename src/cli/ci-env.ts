/** What a CI system tells about the build through its environment: the commit, the branch and a link to the job. */
export interface CiContext {
  provider: string;
  commit?: string;
  branch?: string;
  url?: string;
  job?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The value, or undefined when unset or blank (CI systems often export empty variables). */
function read(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function compact(context: CiContext): CiContext {
  return Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined)) as CiContext;
}

function github(env: Env): CiContext {
  const server = read(env, "GITHUB_SERVER_URL") ?? "https://github.com";
  const repository = read(env, "GITHUB_REPOSITORY");
  const runId = read(env, "GITHUB_RUN_ID");
  return {
    provider: "github-actions",
    commit: read(env, "GITHUB_SHA"),
    // On pull_request events GITHUB_REF_NAME is "<number>/merge"; the branch is GITHUB_HEAD_REF.
    branch: read(env, "GITHUB_HEAD_REF", "GITHUB_REF_NAME"),
    url: repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined,
    job: read(env, "GITHUB_JOB"),
  };
}

function gitlab(env: Env): CiContext {
  return {
    provider: "gitlab",
    commit: read(env, "CI_COMMIT_SHA"),
    branch: read(env, "CI_COMMIT_REF_NAME"),
    url: read(env, "CI_JOB_URL"),
    job: read(env, "CI_JOB_NAME"),
  };
}

function jenkins(env: Env): CiContext {
  // Multibranch pipelines set BRANCH_NAME; freestyle jobs with the git plugin set GIT_BRANCH as "origin/main".
  const branch = read(env, "BRANCH_NAME", "GIT_BRANCH")?.replace(/^(refs\/heads\/|refs\/remotes\/)?origin\//, "");
  return {
    provider: "jenkins",
    commit: read(env, "GIT_COMMIT"),
    branch,
    url: read(env, "BUILD_URL"),
    job: read(env, "JOB_NAME"),
  };
}

function azure(env: Env): CiContext {
  // BUILD_SOURCEBRANCHNAME is only the last segment ("feature/x" gives "x"), so the full ref is preferred.
  const branch =
    read(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH", "BUILD_SOURCEBRANCH")?.replace(/^refs\/heads\//, "") ??
    read(env, "BUILD_SOURCEBRANCHNAME");
  const collection = read(env, "SYSTEM_COLLECTIONURI");
  const project = read(env, "SYSTEM_TEAMPROJECT");
  const buildId = read(env, "BUILD_BUILDID");
  const url =
    collection && project && buildId
      ? `${collection.replace(/\/?$/, "/")}${encodeURIComponent(project)}/_build/results?buildId=${buildId}`
      : undefined;
  return {
    provider: "azure-pipelines",
    commit: read(env, "BUILD_SOURCEVERSION"),
    branch,
    url,
    job: read(env, "SYSTEM_JOBDISPLAYNAME", "AGENT_JOBNAME"),
  };
}

/** Each CI system, told apart by a variable only it sets. */
const PROVIDERS: readonly { marker: string[]; read: (env: Env) => CiContext }[] = [
  { marker: ["GITHUB_ACTIONS", "GITHUB_SHA"], read: github },
  { marker: ["GITLAB_CI", "CI_COMMIT_SHA"], read: gitlab },
  { marker: ["TF_BUILD", "BUILD_SOURCEVERSION"], read: azure },
  { marker: ["JENKINS_URL", "GIT_COMMIT"], read: jenkins },
];

/** The CI system this runs in and what it says about the build; undefined outside a known CI system. */
export function detectCi(env: Env): CiContext | undefined {
  const provider = PROVIDERS.find((p) => read(env, ...p.marker) !== undefined);
  return provider ? compact(provider.read(env)) : undefined;
}

/** Where each provider keeps the commit and branch, for the error shown when neither flag nor variable gave one. */
export const CI_VARIABLES =
  "GITHUB_SHA/GITHUB_REF_NAME, CI_COMMIT_SHA/CI_COMMIT_REF_NAME, GIT_COMMIT/GIT_BRANCH or BUILD_SOURCEVERSION/BUILD_SOURCEBRANCH";
