export interface ReleaseRecord {
  id: string;
  projectId: string;
  version: string;
  commitSha: string;
  branch: string;
  artifactUrl: string | null;
  artifactDigest: string | null;
  notes: string | null;
  createdBy: string | null;
  createdAt: string;
}

/** Job payload: promote this release to every environment whose autoDeploy branch matches and whose requirement is met. */
export interface AutoDeployPayload {
  releaseId: string;
}

export const AUTO_DEPLOY_JOB = "release.auto_deploy";
