import { describe, expect, it } from "vitest";
import { formatDelta, formatPercent, renderNotification, titleOf } from "./notification.render.ts";
import { NOTIFICATION_EVENTS } from "./notifications.types.ts";
import { APPROVE_URL, sampleEvent } from "./notifiers/notifier.contract.ts";

describe("notification rendering", () => {
  it("titles each event by what moves where", () => {
    expect(titleOf(sampleEvent())).toBe("Approval needed: shop 1.4.0 → live");
    expect(titleOf(sampleEvent({ type: "deployment_succeeded" }))).toBe("Deployed: shop 1.4.0 → live");
    const { release: _, environment: __, ...bare } = sampleEvent({ type: "gate_failed" });
    expect(titleOf(bare)).toBe("Quality gates failed: shop");
    for (const type of NOTIFICATION_EVENTS) expect(renderNotification(sampleEvent({ type })).title).not.toBe("");
  });

  it("summarises tests, coverage and its delta", () => {
    const rendered = renderNotification(sampleEvent());
    expect(rendered.tests).toBe("212 passed · 3 failed · 2 skipped · 1 flaky (218 total)");
    expect(rendered.coverage).toBe("84.2% of lines (+0.4)");
    expect(formatPercent(80)).toBe("80");
    expect(formatDelta(-1.25)).toBe("-1.3");
    expect(formatDelta(0.04)).toBe("±0");
    const noCoverage = renderNotification(sampleEvent({ evidence: { coverage: { lines: null, delta: null } } }));
    expect(noCoverage.coverage).toBeNull();
  });

  it("lists ten failures and counts the rest from the test totals", () => {
    const failures = Array.from({ length: 30 }, (_, i) => `test ${i}`);
    const rendered = renderNotification(
      sampleEvent({ evidence: { failures, tests: { total: 500, passed: 400, failed: 100, skipped: 0, flaky: 0 } } }),
    );
    expect(rendered.failures).toEqual({ shown: failures.slice(0, 10), more: 90 });
  });

  it("keeps only http(s) links, so no chat service is handed a javascript: URL", () => {
    const rendered = renderNotification(
      sampleEvent({ links: { view: "javascript:alert(1)", approve: APPROVE_URL, reject: "not a url" } }),
    );
    expect(rendered.links).toEqual([{ kind: "approve", label: "Approve…", url: APPROVE_URL }]);
  });

  it("says when there was no previous release", () => {
    const facts = renderNotification(sampleEvent({ evidence: { previousRelease: null } })).facts;
    expect(facts).toContainEqual({ label: "Previous release", value: "none (first deployment)" });
  });
});
