import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ApiTransport, path } from "../../sdk/transport.ts";
import { ADMIN_TOKEN_FILE, type CliContext } from "../context.ts";
import { storedCredential } from "../credentials.ts";

/** Shapes of the Spark API (the server's route schemas in features/spark are the contract), the parts the CLI shows. */
export interface SparkFindingDto {
  code: string;
  severity: "info" | "warning" | "critical";
  title: string;
  evidence: Record<string, string | number | boolean | null>;
  advice: string;
  setting?: string;
}

export interface SparkAnalysisDto {
  runId: string;
  name: string;
  createdAt: string;
  analysis: {
    app: {
      appId: string | null;
      appName: string | null;
      sparkVersion: string | null;
      databricksRuntime: string | null;
      durationMs: number | null;
    };
    counts: { lines: number; jobsStarted: number; taskEnds: number; malformed: number };
    complete: boolean;
    findings: SparkFindingDto[];
  };
  comparison: {
    previousRunId: string;
    durationMs: { base: number | null; current: number | null; deltaMs: number | null };
    slowerStages: { stageName: string; baseMs: number; currentMs: number }[];
    newFindings: SparkFindingDto[];
  } | null;
}

/** The Spark part of the API on the SDK's public transport (kept beside the commands, as run-client.ts does). */
export class SparkApi extends ApiTransport {
  upload(
    runId: string,
    name: string,
    body: ReadableStream<Uint8Array>,
    appStatus?: "finished" | "in_progress",
  ): Promise<SparkAnalysisDto> {
    return this.json(path`/api/v1/runs/${runId}/spark/${name}`, {
      method: "PUT",
      query: { appStatus },
      stream: { body, contentType: "application/octet-stream" },
    });
  }
}

function adminToken(): string | undefined {
  const file = resolve(ADMIN_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

/** The same credentials the other commands use: --token / STAGEGATE_TOKEN, the stored login, the local admin token. */
export function sparkApi(ctx: CliContext): SparkApi {
  const { server, token } = ctx.options;
  const resolved = token ?? storedCredential(server)?.token ?? adminToken();
  return new SparkApi({ baseUrl: server, userAgent: "stagegate-cli/0.1.0", ...(resolved ? { token: resolved } : {}) });
}
