import type { Kysely } from "kysely";

// The link to the run at the target (ADF, Databricks, GitHub, …) that an executor reports, shown on the deployment.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("deployments").addColumn("external_url", "text").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("deployments").dropColumn("external_url").execute();
}
