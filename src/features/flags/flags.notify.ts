import type pg from "pg";
import { FLAG_VERSIONS_CHANNEL } from "./flags.types.ts";

export interface VersionFeedHandlers {
  version(environmentId: string, version: number): void;
  /** true once listening (after a reconnect too: the caller then catches up on what it missed), false when lost. */
  live(up: boolean): void;
}

/** New flag-set versions written by any replica, pushed by the database instead of polled. */
export interface VersionFeed {
  start(handlers: VersionFeedHandlers): void;
  close(): Promise<void>;
}

/**
 * LISTEN on one dedicated connection of the pool. NOTIFY is sent inside the transaction that writes the version
 * (flags.store `notifyVersion`), so PostgreSQL delivers it only after the commit, to every replica at once. When the
 * connection drops the feed says so (the serving side polls meanwhile) and reconnects after `retryMs`.
 */
export function pgVersionFeed(pool: pg.Pool, retryMs = 1000): VersionFeed {
  let client: pg.PoolClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  async function connect(handlers: VersionFeedHandlers): Promise<void> {
    retry = undefined;
    let connection: pg.PoolClient | undefined;
    try {
      connection = await pool.connect();
      const own = connection;
      own.on("notification", (message) => {
        if (message.channel !== FLAG_VERSIONS_CHANNEL || !message.payload) return;
        const at = message.payload.lastIndexOf(":");
        const version = Number(message.payload.slice(at + 1));
        if (at > 0 && Number.isInteger(version)) handlers.version(message.payload.slice(0, at), version);
      });
      own.on("error", () => lost(own, handlers));
      await own.query(`LISTEN ${FLAG_VERSIONS_CHANNEL}`);
      if (closed) {
        own.release();
        return;
      }
      client = own;
      handlers.live(true);
    } catch {
      if (connection) connection.release(true);
      if (!closed) retry = setTimeout(() => void connect(handlers), retryMs);
    }
  }

  function lost(connection: pg.PoolClient, handlers: VersionFeedHandlers): void {
    if (client !== connection) return;
    client = undefined;
    connection.release(true);
    handlers.live(false);
    if (!closed) retry = setTimeout(() => void connect(handlers), retryMs);
  }

  return {
    start(handlers) {
      void connect(handlers);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const connection = client;
      client = undefined;
      if (!connection) return;
      await connection.query(`UNLISTEN ${FLAG_VERSIONS_CHANNEL}`).catch(() => undefined);
      connection.release();
    },
  };
}
