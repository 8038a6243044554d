import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores on CI: files run in parallel, each with its own databases.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    globalSetup: ["test/helpers/global-setup.ts"],
  },
});
