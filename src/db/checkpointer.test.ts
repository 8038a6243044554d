import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type Db } from "./connect.ts";

describe("SQLite WAL checkpoints from a worker thread", () => {
  let dir: string | undefined;
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function writeTwoMiB(checkpointMs: number): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), "sg-ckpt-"));
    const file = join(dir, "t.db");
    db = connect(`sqlite:${file}`, { checkpointMs });
    await sql`create table blobs (id integer primary key, body text not null)`.execute(db.kysely);
    for (let i = 0; i < 32; i++) {
      await sql`insert into blobs (body) values (${"x".repeat(64 * 1024)})`.execute(db.kysely);
    }
    return file;
  }

  it("copies committed pages into the database file without a commit doing it", async () => {
    const file = await writeTwoMiB(20);
    // The event loop's connection never checkpoints below 128 MiB of WAL: only the worker can have grown the file.
    let size = (await stat(file)).size;
    for (let i = 0; i < 100 && size < 2 * 1024 * 1024; i++) {
      await sleep(20);
      size = (await stat(file)).size;
    }
    expect(size).toBeGreaterThan(2 * 1024 * 1024);
    const rows = await sql<{ n: number }>`select count(*) as n from blobs`.execute(db?.kysely ?? expect.fail());
    expect(rows.rows[0]?.n).toBe(32);
  });

  it("leaves checkpoints to SQLite when it is off (a 2 MiB WAL stays in the WAL)", async () => {
    const file = await writeTwoMiB(0);
    await sleep(200);
    expect((await stat(file)).size).toBeLessThan(1024 * 1024);
  });
});
