import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

describe("configuration from env vars", () => {
  it("uses the embedded defaults with nothing set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 8080, DATABASE_URL: "sqlite:./data/stagegate.db", STAGEGATE_DEMO: true });
  });

  it("converts values and reads STAGEGATE_DEMO=0 as off", () => {
    const config = loadConfig({ PORT: "9000", STAGEGATE_DEMO: "0", DATABASE_URL: "postgres://u@db:5432/sg" });
    expect(config).toMatchObject({ PORT: 9000, STAGEGATE_DEMO: false, DATABASE_URL: "postgres://u@db:5432/sg" });
  });

  it("stops with one error naming every bad variable", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", STAGEGATE_DEMO: "maybe" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('DATABASE_URL="mysql://x"');
    expect(message).toContain('STAGEGATE_DEMO="maybe"');
  });
});
