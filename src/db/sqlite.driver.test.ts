import SQLite from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteDialect } from "./sqlite.driver.ts";

interface Tables {
  t: { id: number; a: string | null; b: number };
}

describe("SQLite driver", () => {
  let db: Kysely<Tables> | undefined;
  afterEach(async () => {
    await db?.destroy();
  });

  /** A fresh in-memory database with table `t`, behind a statement cache of two. */
  async function open(): Promise<Kysely<Tables>> {
    db = new Kysely<Tables>({ dialect: new SqliteDialect(new SQLite(":memory:"), { statementCacheSize: 2 }) });
    await sql`create table t (id integer primary key, a text, b integer not null)`.execute(db);
    return db;
  }

  async function count(k: Kysely<Tables>): Promise<number> {
    return (
      await k
        .selectFrom("t")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;
  }

  it("returns rows as objects keyed by column, the last of a repeated name winning, as better-sqlite3 does", async () => {
    const k = await open();
    await k
      .insertInto("t")
      .values([
        { id: 1, a: "x", b: 2 },
        { id: 2, a: null, b: 3 },
      ])
      .execute();
    expect(await k.selectFrom("t").selectAll().orderBy("id").execute()).toEqual([
      { id: 1, a: "x", b: 2 },
      { id: 2, a: null, b: 3 },
    ]);
    const repeated = await sql<{ id: number }>`select id, b as id from t where id = 1`.execute(k);
    expect(repeated.rows).toEqual([{ id: 2 }]);
    const inserted = await k.insertInto("t").values({ id: 3, a: "y", b: 4 }).returning(["id", "a"]).execute();
    expect(inserted).toEqual([{ id: 3, a: "y" }]);
    const updated = await k.updateTable("t").set({ b: 9 }).where("b", ">", 2).executeTakeFirstOrThrow();
    expect(updated.numUpdatedRows).toBe(2n);
  });

  it("keeps working past the statement cache size (evicted statements are prepared again)", async () => {
    const k = await open();
    for (let i = 0; i < 10; i++) {
      await k.insertInto("t").values({ id: i, a: null, b: i }).execute();
      const row = await k.selectFrom("t").select(["id", "b"]).where("id", "=", i).executeTakeFirstOrThrow();
      expect(row).toEqual({ id: i, b: i });
      expect(await count(k)).toBe(i + 1);
    }
  });

  it("hands the connection to waiting queries in the order they asked for it", async () => {
    const k = await open();
    const order: number[] = [];
    // Each transaction holds the connection across awaits, so the others queue behind it.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        k.transaction().execute(async (tx) => {
          order.push(i);
          await tx.insertInto("t").values({ id: i, a: null, b: i }).execute();
          await new Promise((resolve) => setImmediate(resolve));
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await count(k)).toBe(50);
  });

  it("does not let a caller that queries back to back keep the connection while others wait", async () => {
    const k = await open();
    let greedyDone = 0;
    const greedy = (async () => {
      for (let i = 0; i < 100; i++) {
        await k.selectFrom("t").selectAll().execute();
        greedyDone++;
      }
    })();
    const others = Array.from({ length: 10 }, async () => {
      await k.selectFrom("t").selectAll().execute();
      return greedyDone;
    });
    const seenAt = await Promise.all(others);
    await greedy;
    // Each waiting query gets its turn after at most the greedy query that held the connection when it asked.
    expect(Math.max(...seenAt)).toBeLessThanOrEqual(1);
  });

  it("rolls a failed transaction back and releases the connection", async () => {
    const k = await open();
    await expect(
      k.transaction().execute(async (tx) => {
        await tx.insertInto("t").values({ id: 1, a: null, b: 1 }).execute();
        await tx.insertInto("t").values({ id: 1, a: null, b: 1 }).execute();
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await k.selectFrom("t").selectAll().execute()).toEqual([]);
  });
});
