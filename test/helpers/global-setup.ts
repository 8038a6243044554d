import pg from "pg";

/**
 * Decides once per test run whether PostgreSQL takes part: `TEST_POSTGRES_URL` set and reachable.
 * Test files read the answer from `STAGEGATE_TEST_PG` so none of them waits on a dead server.
 */
export default async function setup(): Promise<void> {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) {
    console.warn("[stagegate] TEST_POSTGRES_URL not set: database tests run on SQLite only.");
    return;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    process.env.STAGEGATE_TEST_PG = url;
  } catch (error) {
    throw new Error(`TEST_POSTGRES_URL=${url} is set but PostgreSQL is not reachable`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
