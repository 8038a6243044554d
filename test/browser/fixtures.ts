import type { BrowserApp } from "./browser.ts";

/** Two environments: staging (unit tests must pass) and production (unit + integration pass, one approver). */
export const PIPELINE_YAML = `project: shop
name: Shop pipelines
repo: https://github.com/acme/shop
environments:
  - name: staging
    gates: [ { type: tests_pass, kinds: [unit] } ]
    executor: { type: shell, config: { command: ["sh", "-c", "printf '\\\\033[32mdeploying %s\\\\033[0m to %s\\\\n' $STAGEGATE_RELEASE $STAGEGATE_ENVIRONMENT; sleep 1; echo done"] } }
  - name: production
    gates: [ { type: tests_pass, kinds: [unit, integration] } ]
    approval:
      groups: [ { name: managers, members: ["@approver"], required: 1 } ]
      expiresAfter: 1h
    executor: { type: shell, config: { command: ["sh", "-c", "echo live $STAGEGATE_RELEASE; sleep 1; echo ok"] } }
`;

export const BROKEN_YAML = `project: broken
name: Broken target
environments:
  - name: prod
    executor: { type: shell, config: { command: ["sh", "-c", "echo connecting to warehouse; echo 'ERROR: permission denied for schema sales' >&2; exit 3"] } }
`;

export function junit(cases: { name: string; failure?: string }[], suite = "checkout"): string {
  const failures = cases.filter((c) => c.failure).length;
  const body = cases
    .map((c) =>
      c.failure
        ? `<testcase classname="${suite}.Cart" name="${c.name}" time="0.12"><failure message="${c.failure}" type="AssertionError">AssertionError: ${c.failure}\n    at Cart.total (src/cart.ts:42:11)\n    at Object.&lt;anonymous&gt; (test/cart.test.ts:17:5)</failure></testcase>`
        : `<testcase classname="${suite}.Cart" name="${c.name}" time="0.05"/>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="${suite}" tests="${cases.length}" failures="${failures}" errors="0" time="1.2">
${body}
</testsuite></testsuites>`;
}

export const LCOV = `TN:
SF:src/cart.ts
DA:1,1
DA:2,1
DA:3,0
DA:4,0
DA:5,1
LF:5
LH:3
end_of_record
SF:src/pricing/discount.ts
DA:1,1
DA:2,1
LF:2
LH:2
end_of_record
`;

/** What CI does: open a run, upload its files, close it. Returns the run id. */
export async function uploadReport(
  app: BrowserApp,
  token: string,
  input: { commitSha: string; branch: string; kind: string; junit: string; lcov?: string },
): Promise<string> {
  const auth = { authorization: `Bearer ${token}` };
  const open = await app.request({
    method: "POST",
    url: "/api/v1/projects/shop/report-runs",
    headers: auth,
    payload: { commitSha: input.commitSha, branch: input.branch, kind: input.kind },
  });
  if (open.statusCode !== 201) throw new Error(`open run: ${open.statusCode} ${open.body}`);
  const id = open.json<{ id: string }>().id;
  const files: [string, string][] = [["junit.xml", input.junit]];
  if (input.lcov) files.push(["lcov.info", input.lcov]);
  for (const [name, body] of files) {
    const put = await app.request({
      method: "PUT",
      url: `/api/v1/report-runs/${id}/files/${name}`,
      headers: { ...auth, "content-type": "application/octet-stream" },
      payload: body,
    });
    if (put.statusCode >= 300) throw new Error(`upload ${name}: ${put.statusCode} ${put.body}`);
  }
  const done = await app.request({ method: "POST", url: `/api/v1/report-runs/${id}/complete`, headers: auth, payload: {} });
  if (done.statusCode >= 300) throw new Error(`complete: ${done.statusCode} ${done.body}`);
  return id;
}

export async function createRelease(
  app: BrowserApp,
  token: string,
  body: { version: string; commitSha: string; branch: string; notes?: string },
) {
  const res = await app.request({
    method: "POST",
    url: "/api/v1/projects/shop/releases",
    headers: { authorization: `Bearer ${token}` },
    payload: body,
  });
  if (res.statusCode >= 300) throw new Error(`release ${body.version}: ${res.statusCode} ${res.body}`);
}
