#!/usr/bin/env node
// Enforces the dependency rule of DESIGN.md §2 on every non-test source file; exits 1 listing each violation.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist") continue;
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith(".contract.ts")) files.push(path);
  }
}
for (const top of ["src", "web/src"]) {
  try {
    walk(join(root, top));
  } catch {
    // web/ may not exist yet
  }
}

const area = (file) =>
  relative(root, file)
    .split("/")
    .slice(0, file.includes("/web/") ? 1 : 2)
    .join("/");
const SERVER = ["src/main.ts", "src/app.ts", "src/http", "src/features", "src/jobs", "src/db", "src/config"];
const isServer = (rel) => SERVER.some((prefix) => rel === prefix || rel.startsWith(`${prefix}/`));

const violations = [];
for (const file of files) {
  const rel = relative(root, file);
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]);
  for (const spec of specifiers) {
    const target = spec.startsWith(".") ? relative(root, resolve(dirname(file), spec)) : spec;
    const bad = (why) => violations.push(`${rel}: imports ${spec} — ${why}`);
    if (isServer(rel) && /^(src\/(cli|sdk)|web)\//.test(target)) bad("the server never imports cli/, sdk/ or web/");
    if (rel.startsWith("src/sdk/") && target.startsWith("src/") && !/^src\/(sdk|shared)\//.test(target))
      bad("sdk/ imports only sdk/ and shared/");
    if (rel.startsWith("web/") && target.startsWith("src/") && !target.startsWith("src/shared/"))
      bad("web/ imports only shared/ of the server");
    if (rel.startsWith("src/cli/") && target.startsWith("src/") && !/^src\/(cli|sdk|shared)\//.test(target))
      bad("cli/ talks to the server only through sdk/");
    if (rel.startsWith("src/shared/") && target.startsWith("src/") && !target.startsWith("src/shared/"))
      bad("shared/ is leaf code");
    const feature = /^src\/features\/([^/]+)\//.exec(rel)?.[1];
    const targetFeature = /^src\/features\/([^/]+)\//.exec(target)?.[1];
    if (rel.endsWith(".store.ts")) {
      const ok = !target.startsWith("src/") || /^src\/(db|shared)\//.test(target) || target.endsWith(".types.ts");
      if (!ok) bad("stores import only db/, shared/ and types");
    }
    if (
      feature &&
      !rel.endsWith(".routes.ts") &&
      (spec === "fastify" || spec.startsWith("@fastify/") || target.startsWith("src/http/"))
    ) {
      bad("only *.routes.ts in a feature may know HTTP");
    }
    if (feature && targetFeature && targetFeature !== feature && target.endsWith(".store.ts"))
      bad("features talk through services, never another feature's store");
  }
}

if (violations.length > 0) {
  console.error(`Dependency rule violations (${violations.length}):\n${violations.map((v) => `  ${v}`).join("\n")}`);
  process.exit(1);
}
console.log(`import rules: ${files.length} files checked, no violations (${[...new Set(files.map(area))].length} areas)`);
