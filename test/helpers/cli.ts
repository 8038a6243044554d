import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { Deployment } from "../../src/shared/api.ts";

const BIN = resolve(import.meta.dirname, "../../bin/stagegate.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The bin as a user runs it: its own process, from an unrelated directory, without STAGEGATE_* settings. */
export async function spawnBin(...args: string[]): Promise<CliResult> {
  const env = { ...process.env };
  delete env.STAGEGATE_URL;
  delete env.STAGEGATE_TOKEN;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: tmpdir(), env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A deployment as the API returns it, for tests of clients that talk to a recording server. */
export const sampleDeployment: Deployment = {
  id: "dep_1",
  project: "demo",
  environment: "live",
  release: "1.4.0",
  kind: "deploy",
  status: "queued",
  reason: null,
  step: null,
  externalId: null,
  externalUrl: null,
  createdBy: "admin",
  createdAt: "2026-11-25T10:00:00.000Z",
  startedAt: null,
  finishedAt: null,
};

/** Runs the CLI in this process (no child process), capturing what it prints. */
export async function runCli(args: string[]): Promise<CliResult> {
  const { run } = await import("../../src/cli/main.ts");
  let stdout = "";
  let stderr = "";
  const code = await run(["node", "stagegate", ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
