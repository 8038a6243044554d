import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { type LaunchedChild, Launcher } from "./launcher.ts";

const launcher = new Launcher();
afterAll(() => launcher.close());

const sh = (script: string) => launcher.launch({ program: "/bin/sh", args: ["-c", script], env: process.env, shell: false });

async function outputOf(child: LaunchedChild) {
  const [stdout, stderr, exited] = await Promise.all([text(child.stdout), text(child.stderr), child.exited]);
  return { stdout, stderr, exited };
}

/** Whether any process of the group led by `pgid` is alive; zombies don't count (a container's PID 1 may never reap). */
async function groupAlive(pgid: number): Promise<boolean> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid pgrp …: the command name may hold spaces and parentheses, so split after its last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") return true;
  }
  return false;
}

describe("Launcher", () => {
  it("runs commands side by side, each with its own output, exit code and process group", async () => {
    const children = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sh(`echo out-${i}; echo err-${i} >&2; exit ${i % 3}`)),
    );
    const results = await Promise.all(children.map(outputOf));
    results.forEach((result, i) => {
      expect(result).toEqual({ stdout: `out-${i}\n`, stderr: `err-${i}\n`, exited: { code: i % 3, signal: null } });
    });
    expect(new Set(children.map((c) => c.pid)).size).toBe(20);
  });

  it("passes argv, cwd and env as given, and runs a command line through the shell only when asked", async () => {
    const child = await launcher.launch({
      program: "printf",
      args: ["%s|", "a b", "$HOME", "it's"],
      cwd: "/tmp",
      env: { PATH: process.env.PATH, ONLY: "this" },
      shell: false,
    });
    expect((await outputOf(child)).stdout).toBe("a b|$HOME|it's|");
    const viaShell = await launcher.launch({
      program: "echo $ONLY; pwd",
      args: [],
      cwd: "/tmp",
      env: { ONLY: "x" },
      shell: true,
    });
    expect((await outputOf(viaShell)).stdout).toBe("x\n/tmp\n");
  });

  it("starts its helper ahead of the first command when asked (the job runner's start does)", async () => {
    const early = new Launcher();
    try {
      expect(early.helperPid).toBeUndefined();
      early.start();
      const pid = early.helperPid;
      expect(pid).toBeGreaterThan(0);
      const child = await early.launch({ program: "true", args: [], env: process.env, shell: false });
      expect(early.helperPid).toBe(pid);
      expect((await outputOf(child)).exited).toEqual({ code: 0, signal: null });
    } finally {
      early.close();
    }
  });

  it("rejects with the errno of a command that cannot start", async () => {
    await expect(launcher.launch({ program: "/no/such/program", args: [], env: {}, shell: false })).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("delivers large output whole and in order", async () => {
    // 200,000 numbered lines, about 1.3 MB: many more messages than the helper lets pile up before it pauses output.
    const child = await sh("seq 1 200000");
    const { stdout, exited } = await outputOf(child);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.length).toBe(200_000);
    expect(lines.every((line, i) => line === String(i + 1))).toBe(true);
    expect(exited).toEqual({ code: 0, signal: null });
  });

  it("keeps a process that awaits a command alive until the command ends, and lets it exit after", async () => {
    const script = `
      import { text } from "node:stream/consumers";
      import { Launcher } from ${JSON.stringify(new URL("./launcher.ts", import.meta.url).pathname)};
      const child = await new Launcher().launch({ program: "sh", args: ["-c", "sleep 0.3; echo slept"], env: process.env, shell: false });
      const [output, exited] = await Promise.all([text(child.stdout), child.exited]);
      console.log(output + JSON.stringify(exited));`;
    const node = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [output, code] = await Promise.all([text(node.stdout), new Promise((resolve) => node.once("exit", resolve))]);
    expect(output).toBe('slept\n{"code":0,"signal":null}\n');
    expect(code).toBe(0);
  });

  it("reports running commands lost and kills their groups when the helper dies, then starts a new helper", async () => {
    const child = await sh("sleep 30 & sleep 30; echo never");
    const helper = launcher.helperPid;
    expect(helper).toBeDefined();
    expect(await groupAlive(child.pid)).toBe(true);
    process.kill(helper ?? 0, "SIGKILL");
    expect(await child.exited).toBe("lost");
    for (let i = 0; i < 100 && (await groupAlive(child.pid)); i++) await delay(20);
    expect(await groupAlive(child.pid)).toBe(false);

    const next = await sh("echo again");
    expect(launcher.helperPid).not.toBe(helper);
    expect(await outputOf(next)).toEqual({ stdout: "again\n", stderr: "", exited: { code: 0, signal: null } });
  });
});
