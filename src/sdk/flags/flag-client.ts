import { readFile } from "node:fs/promises";
import { type CompiledFlagSet, compileFlagSet } from "../../shared/flags/evaluator.ts";
import type { Evaluation, EvaluationContext, FlagSet, FlagType } from "../../shared/flags/flags.types.ts";

export interface FlagClientOptions {
  /** The stagegate server, e.g. `http://localhost:8080`; not needed with `offline`. */
  baseUrl?: string;
  /** An environment-scoped SDK key (`stagegate flag sdk-key`); it decides the environment. */
  sdkKey?: string;
  /** Boot from this flag-set JSON (a `snapshot` download) before — or, with `offline`, instead of — the server. */
  snapshotFile?: string;
  snapshot?: FlagSet;
  /** Never contact the server: evaluate the snapshot only (batch jobs pinned to a version). */
  offline?: boolean;
  /** Follow the server's change stream (default true); without it, or while it is down, poll every `pollMs`. */
  stream?: boolean;
  pollMs?: number;
  /** First reconnect delay of the stream; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  fetch?: typeof fetch;
}

export type FlagClientState = "starting" | "live" | "stale" | "offline" | "closed";
type Listener = (event: { version: number; changed: string[] }) => void;

/**
 * Evaluates flags in-process with the same evaluator the server runs, from a flag set fetched once and kept current
 * through the server's SSE stream (reconnecting with backoff, polling meanwhile). When the server is gone it keeps
 * serving the last good flag set with reason STALE; booted from a snapshot and not (yet) synced, with reason CACHED.
 */
export class FlagClient {
  #set: FlagSet | undefined;
  #compiled: CompiledFlagSet | undefined;
  #etag: string | undefined;
  #state: FlagClientState = "starting";
  #fromSnapshot = false;
  readonly #options: FlagClientOptions;
  readonly #fetch: typeof fetch;
  readonly #listeners = new Set<Listener>();
  readonly #evaluated = new Set<string>();
  #abort = new AbortController();
  #pollTimer: NodeJS.Timeout | undefined;
  #reportTimer: NodeJS.Timeout | undefined;
  #backoff: number;

  constructor(options: FlagClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#backoff = options.backoffMs ?? 250;
    if (!options.offline && (!options.baseUrl || !options.sdkKey)) {
      throw new TypeError("FlagClient needs baseUrl and sdkKey (or offline with a snapshot)");
    }
  }

  get state(): FlagClientState {
    return this.#state;
  }

  get version(): number | undefined {
    return this.#set?.version;
  }

  get flagSet(): FlagSet | undefined {
    return this.#set;
  }

  /** Loads the snapshot (if any) and the server's flag set; resolves once there is something to evaluate. */
  async ready(): Promise<void> {
    const snapshot =
      this.#options.snapshot ?? (this.#options.snapshotFile ? await readSnapshot(this.#options.snapshotFile) : undefined);
    if (snapshot) {
      this.#install(snapshot, undefined);
      this.#fromSnapshot = true;
    }
    if (this.#options.offline) {
      if (!snapshot) throw new TypeError("an offline FlagClient needs snapshot or snapshotFile");
      this.#state = "offline";
      return;
    }
    try {
      await this.refresh();
    } catch (error) {
      if (!this.#set) throw error;
      this.#state = "stale";
    }
    if (this.#options.stream ?? true) void this.#follow();
    else this.#startPolling();
    this.#reportTimer = setInterval(() => void this.#report(), 60_000);
    this.#reportTimer.unref();
  }

  /** Fetches the flag set now (If-None-Match: a 304 when nothing changed). */
  async refresh(): Promise<void> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#options.sdkKey}`, accept: "application/json" };
    if (this.#etag) headers["if-none-match"] = this.#etag;
    const response = await this.#fetch(`${this.#base()}/sdk/v1/flags`, { headers, signal: this.#abort.signal });
    if (response.status === 304) {
      this.#markLive();
      return;
    }
    if (!response.ok) throw new Error(`flag sync failed: HTTP ${response.status}`);
    const set = (await response.json()) as FlagSet;
    this.#install(set, response.headers.get("etag") ?? undefined);
    this.#markLive();
  }

  evaluate(key: string, context: EvaluationContext = {}, expectedType?: FlagType): Evaluation {
    const compiled = this.#compiled;
    if (!compiled)
      return { key, reason: "ERROR", errorCode: "GENERAL", errorDetails: "the flag client has no flag set yet; await ready()" };
    const result = compiled.evaluate(key, context, expectedType);
    this.#evaluated.add(key);
    if ("errorCode" in result) return result;
    if (this.#state === "stale") return { ...result, reason: "STALE" };
    if (this.#fromSnapshot && this.#state !== "live") return { ...result, reason: "CACHED" };
    return result;
  }

  /** One flag for many contexts (e.g. every partition of a batch run) against one consistent flag-set version. */
  evaluateBatch(key: string, contexts: EvaluationContext[], expectedType?: FlagType): Evaluation[] {
    return contexts.map((context) => this.evaluate(key, context, expectedType));
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#state = "closed";
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    if (this.#reportTimer) clearInterval(this.#reportTimer);
    await this.#report();
    this.#abort.abort();
  }

  #closed(): boolean {
    return this.#state === "closed";
  }

  #base(): string {
    return (this.#options.baseUrl ?? "").replace(/\/+$/, "");
  }

  #install(set: FlagSet, etag: string | undefined): void {
    const before = this.#set;
    this.#set = set;
    this.#compiled = compileFlagSet(set);
    this.#etag = etag;
    if (before && before.version !== set.version) {
      const changed = Object.keys({ ...before.flags, ...set.flags }).filter(
        (key) => JSON.stringify(before.flags[key]) !== JSON.stringify(set.flags[key]),
      );
      for (const listener of this.#listeners) listener({ version: set.version, changed });
    }
  }

  #markLive(): void {
    if (this.#state === "closed") return;
    this.#state = "live";
    this.#fromSnapshot = false;
  }

  #startPolling(): void {
    if (this.#pollTimer || this.#state === "closed") return;
    this.#pollTimer = setInterval(() => {
      this.refresh().catch(() => {
        if (this.#state !== "closed") this.#state = "stale";
      });
    }, this.#options.pollMs ?? 30_000);
    this.#pollTimer.unref();
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  /** Follows `/ofrep/v1/events`: each `refetchEvaluation` triggers a refresh. Reconnects with backoff; polls meanwhile. */
  async #follow(): Promise<void> {
    while (!this.#closed()) {
      try {
        const response = await this.#fetch(`${this.#base()}/ofrep/v1/events?v=${this.version ?? 0}`, {
          headers: { authorization: `Bearer ${this.#options.sdkKey}`, accept: "text/event-stream" },
          signal: this.#abort.signal,
        });
        if (response.status !== 200 || !response.body) throw new Error(`event stream: HTTP ${response.status}`);
        this.#stopPolling();
        this.#backoff = this.#options.backoffMs ?? 250;
        // Changes written while the stream was down: catch up once it is back.
        await this.refresh();
        for await (const event of sseEvents(response.body)) {
          if (event.includes("refetchEvaluation")) await this.refresh();
        }
      } catch {
        if (this.#closed()) return;
      }
      if (this.#closed()) return;
      this.#state = "stale";
      this.#startPolling();
      await new Promise((resolve) => setTimeout(resolve, this.#backoff).unref());
      this.#backoff = Math.min(this.#backoff * 2, this.#options.maxBackoffMs ?? 30_000);
    }
  }

  /** Tells the server which flags were evaluated here (the stale flag report); best effort. */
  async #report(): Promise<void> {
    if (this.#options.offline || this.#evaluated.size === 0) return;
    const keys = [...this.#evaluated];
    this.#evaluated.clear();
    try {
      const response = await this.#fetch(`${this.#base()}/sdk/v1/flags/evaluated`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.#options.sdkKey}`, "content-type": "application/json" },
        body: JSON.stringify({ keys }),
        signal: this.#abort.signal,
      });
      await response.arrayBuffer();
    } catch {
      // Best effort: the stale report may miss these evaluations.
    }
  }
}

async function readSnapshot(file: string): Promise<FlagSet> {
  const set = JSON.parse(await readFile(file, "utf8")) as FlagSet;
  if (typeof set !== "object" || set === null || typeof set.flags !== "object") {
    throw new TypeError(`${file} is not a stagegate flag set (expected { version, flags, segments })`);
  }
  return set;
}

/** The `data:` payloads of a server-sent event stream. */
async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data) yield data;
    }
  }
}
