import { randomBytes } from "node:crypto";
import pg from "pg";

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Decides once per test run whether PostgreSQL takes part: `TEST_POSTGRES_URL` set and reachable.
 * Test files read the answer from `STAGEGATE_TEST_PG` so none of them waits on a dead server.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) {
    console.warn("[stagegate] TEST_POSTGRES_URL not set: database tests run on SQLite only.");
    return undefined;
  }
  try {
    await withClient(url, (client) => client.query("select 1"));
  } catch (error) {
    throw new Error(`TEST_POSTGRES_URL=${url} is set but PostgreSQL is not reachable`, { cause: error });
  }
  process.env.STAGEGATE_TEST_PG = url;
  // Databases of this run carry its id, so the teardown drops exactly those and leaves other runs alone.
  const run = randomBytes(3).toString("hex");
  process.env.STAGEGATE_TEST_RUN = run;
  return () =>
    withClient(url, async (client) => {
      const { rows } = await client.query<{ datname: string }>("select datname from pg_database where datname like $1", [
        `sg_test_${run}_%`,
      ]);
      for (const row of rows) await client.query(`drop database if exists "${row.datname}" with (force)`);
    });
}
