import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { StagegateClient } from "../sdk/client.ts";
import { storedCredential } from "./credentials.ts";
import { UsageError } from "./errors.ts";
import type { InputStream } from "./password-input.ts";

export interface Writer {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  /** Where passwords are read from (`stagegate login`); process.stdin when absent. */
  stdin?: InputStream;
}

export type OutputFormat = "table" | "json";

export interface GlobalOptions {
  server: string;
  token?: string;
  output: OutputFormat;
}

/** Where `npm start` (the local server) writes the bootstrap admin token, relative to the working directory. */
export const ADMIN_TOKEN_FILE = "data/admin-token";
const USER_AGENT = "stagegate-cli/0.1.0";

/** What every command needs: the global options, an API client built from them, and where to write. */
export class CliContext {
  /** Set by a command whose operation failed without throwing (a deployment that did not succeed). */
  exitCode = 0;
  readonly io: CliIo;
  readonly #program: Command;
  #client: StagegateClient | undefined;

  constructor(program: Command, io: CliIo) {
    this.#program = program;
    this.io = io;
  }

  get options(): GlobalOptions {
    return this.#program.opts<GlobalOptions>();
  }

  get json(): boolean {
    return this.options.output === "json";
  }

  client(): StagegateClient {
    if (!this.#client) {
      const { server, token } = this.options;
      const resolved = token ?? storedCredential(server)?.token ?? readAdminToken();
      this.#client = new StagegateClient({ baseUrl: server, userAgent: USER_AGENT, ...(resolved ? { token: resolved } : {}) });
    }
    return this.#client;
  }

  /** A client with other credentials than the global ones: none (to sign in), a session from `login`, a stored token. */
  clientWith(credentials: { token?: string; session?: { cookie: string; csrfToken: string } }): StagegateClient {
    return new StagegateClient({ baseUrl: this.options.server, userAgent: USER_AGENT, ...credentials });
  }

  /** One line (or block) on stdout. */
  out(text: string): void {
    this.io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Progress and notes go to stderr, so stdout stays parseable. */
  note(text: string): void {
    this.io.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** `-o json`: the response exactly as the server sent it; table: the command's rendering of it. */
  emit<T>(data: T, renderTable: (data: T) => string): void {
    this.out(this.json ? JSON.stringify(data, null, 2) : renderTable(data));
  }
}

function readAdminToken(): string | undefined {
  const file = resolve(ADMIN_TOKEN_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch (error) {
    throw new UsageError(`cannot read the admin token in ${file}; pass --token or set STAGEGATE_TOKEN`, { cause: error });
  }
}
