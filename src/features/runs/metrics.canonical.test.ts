import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CANONICAL,
  cpuSnapshot,
  cpuUtilizationFromCounters,
  deriveCanonical,
  gpuMemoryUtilization,
  hostCpuUtilization,
  hostMemoryUtilization,
} from "./metrics.canonical.ts";
import type { MetricPoint } from "./runs.types.ts";

const point = (name: string, value: number, labels: Record<string, string> = {}, gpu = ""): MetricPoint => ({
  name,
  node: "n1",
  gpu,
  labels,
  ts: 1_000,
  value,
});

describe("host memory utilisation from system.memory.utilization", () => {
  it("is the used state, whichever attribute name carries the state", () => {
    const states = { used: 0.95, free: 0.01, cached: 0.03, buffered: 0.01 };
    for (const key of ["state", "system.memory.state"]) {
      const points = Object.entries(states).map(([state, v]) => point("system.memory.utilization", v, { [key]: state }));
      expect(hostMemoryUtilization(points)).toBeCloseTo(95, 9);
    }
  });

  it("is 1 − available under the current semconv states, else 1 − the reclaimable states, else the plain gauge", () => {
    expect(hostMemoryUtilization([point("m", 0.3, { "system.memory.state": "available" })])).toBeCloseTo(70, 9);
    const noUsed = [point("m", 0.05, { state: "free" }), point("m", 0.1, { state: "cached" })];
    expect(hostMemoryUtilization(noUsed)).toBeCloseTo(85, 9);
    expect(hostMemoryUtilization([point("m", 0.42)])).toBeCloseTo(42, 9);
  });

  it("stores one canonical point per node and instant, not one per state", () => {
    const points = ["used", "free", "cached"].map((state, i) =>
      point("system.memory.utilization", [0.95, 0.02, 0.03][i] ?? 0, { state }),
    );
    const canonical = deriveCanonical(points).filter((p) => p.name === CANONICAL.hostMemUtil);
    expect(canonical).toEqual([{ name: CANONICAL.hostMemUtil, node: "n1", gpu: "", labels: {}, ts: 1_000, value: 95 }]);
  });
});

describe("host CPU utilisation from system.cpu.utilization", () => {
  it("averages 1 − idle over the cores (cpu.mode / cpu.logical_number and the older state / cpu names)", () => {
    const modern = [
      point("c", 0.25, { "cpu.logical_number": "0", "cpu.mode": "idle" }),
      point("c", 0.75, { "cpu.logical_number": "0", "cpu.mode": "user" }),
      point("c", 0.75, { "cpu.logical_number": "1", "cpu.mode": "idle" }),
      point("c", 0.25, { "cpu.logical_number": "1", "cpu.mode": "system" }),
    ];
    expect(hostCpuUtilization(modern)).toBeCloseTo(50, 9);
    const older = [point("c", 0.1, { cpu: "cpu0", state: "idle" }), point("c", 0.9, { cpu: "cpu0", state: "user" })];
    expect(hostCpuUtilization(older)).toBeCloseTo(90, 9);
  });

  it("sums the non-idle modes when idle is not sent", () => {
    const points = [point("c", 0.2, { cpu: "0", state: "user" }), point("c", 0.1, { cpu: "0", state: "system" })];
    expect(hostCpuUtilization(points)).toBeCloseTo(30, 9);
  });

  it("stays within 0–100 % when each core's modes sum to 1", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 6 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (cores) => {
          const points = cores.flatMap((weights, core) => {
            const sum = weights.reduce((a, b) => a + b, 0) || 1;
            return weights.map((w, i) => point("c", w / sum, { cpu: String(core), state: i === 0 ? "idle" : `m${i}` }));
          });
          const value = hostCpuUtilization(points) ?? Number.NaN;
          return value >= -1e-9 && value <= 100 + 1e-9;
        },
      ),
    );
  });
});

describe("GPU memory utilisation", () => {
  it("is DCGM's used / (used + free), i.e. Used/(Total − Reserved)", () => {
    expect(gpuMemoryUtilization({ DCGM_FI_DEV_FB_USED: 76_000, DCGM_FI_DEV_FB_FREE: 4000, DCGM_FI_DEV_FB_RESERVED: 559 })).toBe(
      95,
    );
    expect(
      gpuMemoryUtilization({ DCGM_FI_DEV_FB_USED: 76_000, DCGM_FI_DEV_FB_TOTAL: 80_559, DCGM_FI_DEV_FB_RESERVED: 559 }),
    ).toBe(95);
  });

  it("takes DCGM's own FB_USED_PERCENT (a 0–1 ratio) as it is", () => {
    const derived = deriveCanonical([
      point("DCGM_FI_DEV_FB_USED_PERCENT", 0.97, { gpu: "0" }, "0"),
      point("DCGM_FI_DEV_FB_USED", 1, {}, "0"),
    ]);
    expect(derived.filter((p) => p.name === CANONICAL.gpuMemUtil).map((p) => p.value)).toEqual([97]);
  });

  it("does not mistake FB_USED alone for a utilisation", () => {
    expect(deriveCanonical([point("DCGM_FI_DEV_FB_USED", 1024, {}, "0")]).map((p) => p.name)).toEqual([CANONICAL.gpuMemUsed]);
  });
});

describe("host CPU utilisation from node_cpu_seconds_total", () => {
  const scrape = (ts: number, cpus: Record<string, number>[]) =>
    cpuSnapshot(
      ts,
      cpus.flatMap((modes, cpu) => Object.entries(modes).map(([mode, value]) => ({ labels: { cpu: String(cpu), mode }, value }))),
    );

  it("is 1 − Δidle / Δall between consecutive scrapes, in any order", () => {
    const a = scrape(0, [
      { idle: 100, user: 10 },
      { idle: 100, user: 10 },
    ]);
    const b = scrape(10_000, [
      { idle: 102, user: 18 },
      { idle: 110, user: 10 },
    ]);
    expect(cpuUtilizationFromCounters([b, a])).toEqual([{ ts: 10_000, value: 40 }]);
  });

  it("skips a counter reset and a change in the number of CPUs", () => {
    const a = scrape(0, [{ idle: 100, user: 10 }]);
    const reboot = scrape(10_000, [{ idle: 5, user: 1 }]);
    const grown = scrape(20_000, [
      { idle: 10, user: 2 },
      { idle: 10, user: 2 },
    ]);
    expect(cpuUtilizationFromCounters([a, reboot, grown])).toEqual([]);
  });
});
