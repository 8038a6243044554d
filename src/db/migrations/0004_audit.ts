import type { Kysely } from "kysely";

// The hash-chained audit log: append-only, seq assigned by the app under a lock (see audit.service.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("audit_events")
    // Plain `integer primary key`: on SQLite that is the rowid itself, so the table is stored in seq order.
    .addColumn("seq", "integer", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    // Deliberately no foreign key to projects: a cascade would delete events and break the chain.
    .addColumn("project_id", "text")
    .addColumn("subject_type", "text", (c) => c.notNull())
    .addColumn("subject_id", "text", (c) => c.notNull())
    .addColumn("data_json", "text", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .execute();
  // One index per list filter, each ending in seq: `filter = ? and seq < ? order by seq desc` reads the index backwards.
  const indexes: [string, string[]][] = [
    ["audit_events_project_idx", ["project_id", "seq"]],
    ["audit_events_subject_idx", ["subject_type", "subject_id", "seq"]],
    ["audit_events_subject_type_idx", ["subject_type", "seq"]],
    ["audit_events_actor_idx", ["actor", "seq"]],
    ["audit_events_action_idx", ["action", "seq"]],
  ];
  for (const [name, columns] of indexes) await db.schema.createIndex(name).on("audit_events").columns(columns).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("audit_events").ifExists().execute();
}
