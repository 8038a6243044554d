import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The shared fixtures (`../shared/fixtures` next to the repository, as on developer machines), or the byte-for-byte copy
 * in `test/fixtures/shared/` when the repository was cloned somewhere else (CI). `STAGEGATE_FIXTURES` overrides both.
 */
export function fixturesDir(kind: string): string {
  const candidates = [process.env.STAGEGATE_FIXTURES, `${REPO}../shared/fixtures`, `${REPO}test/fixtures/shared`].filter(
    (dir): dir is string => Boolean(dir),
  );
  for (const dir of candidates) if (existsSync(`${dir}/${kind}`)) return `${dir}/${kind}`;
  throw new Error(`Fixtures "${kind}" not found in ${candidates.join(", ")}`);
}
