#!/usr/bin/env node
// The CLI ships as TypeScript; tsx compiles it on the fly. Paths resolve from this file, so any cwd works.
import { register } from "tsx/esm/api";

// `stagegate deploy log … | head`: the reader left, so there is nobody to report to; stop quietly.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

register();
const { run } = await import("../src/cli/main.ts");
const code = await run(process.argv);
// Let piped stdout drain before exiting, so redirects and pipes get every line.
await new Promise((resolve) => process.stdout.write("", resolve));
process.exit(code);
