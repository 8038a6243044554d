#!/usr/bin/env node
// Builds the dashboard into web/dist when it is missing or older than its sources; otherwise returns at once, so
// `npm start` stays fast. Used by `npm start`, `npm install` (prepare) and the browser tests.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const root = dirname(web);
const stamp = join(web, "dist", "index.html");

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), info.mtimeMs);
}

function sourcesTime() {
  const shared = join(root, "src", "shared");
  return Math.max(
    newest(join(web, "src")),
    newest(join(web, "index.html")),
    newest(join(web, "vite.config.ts")),
    existsSync(shared) ? newest(shared) : 0,
  );
}

const force = process.argv.includes("--force");
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sourcesTime()) process.exit(0);

const vite = join(root, "node_modules", "vite", "bin", "vite.js");
if (!existsSync(vite)) {
  console.error("stagegate: cannot build the dashboard: vite is not installed (run `npm install`).");
  process.exit(existsSync(stamp) ? 0 : 1);
}
console.error("stagegate: building the dashboard (web/dist)…");
const result = spawnSync(process.execPath, [vite, "build", "--config", join(web, "vite.config.ts"), "--logLevel", "warn"], {
  cwd: root,
  stdio: "inherit",
  // Called from the browser tests, NODE_ENV is "test": Vite would then pick libraries' development builds
  // (react-router's alone adds ~65 KB gzip). The dashboard is always built for production.
  env: { ...process.env, NODE_ENV: "production" },
});
process.exit(result.status ?? 1);
