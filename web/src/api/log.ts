import { useEffect, useState } from "react";
import { errorMessage } from "../../../src/shared/errors.ts";
import type { LogLine } from "../components/LogView.tsx";
import { path, send } from "./client.ts";

function parse(raw: string, n: number): LogLine {
  // `<time> <stream> <line>` (src/features/deployments/deployment-log.sink.ts); a notice line has no time.
  const m = /^(\S+) (stdout|stderr|system|\S+) (.*)$/s.exec(raw);
  if (m && /^\d{4}-\d\d-\d\dT/.test(m[1] ?? "")) return { n, at: m[1] ?? "", stream: m[2] ?? "", text: m[3] ?? "" };
  return { n, at: "", stream: "system", text: raw };
}

/**
 * The deployment log, streamed: `?follow=1` keeps the response open while the deployment runs and the lines arrive as
 * they are written. The stream restarts (from the start) when `key` changes, e.g. when a retry begins.
 */
export function useDeploymentLog(
  id: string,
  follow: boolean,
  key: string,
): { lines: LogLine[]; error: string | null; done: boolean } {
  const [state, setState] = useState<{ lines: LogLine[]; error: string | null; done: boolean }>({
    lines: [],
    error: null,
    done: false,
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` restarts the stream on purpose
  useEffect(() => {
    const abort = new AbortController();
    let lines: LogLine[] = [];
    let pending = "";
    let frame = 0;
    const flush = () => {
      frame = 0;
      setState({ lines, error: null, done: false });
    };
    setState({ lines: [], error: null, done: false });
    void (async () => {
      try {
        const response = await send(path`/deployments/${id}/log`, {
          query: { follow: follow ? 1 : undefined },
          headers: { accept: "text/plain" },
          signal: abort.signal,
        });
        const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
        if (!reader) return;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          pending += value;
          const parts = pending.split("\n");
          pending = parts.pop() ?? "";
          if (parts.length > 0) {
            lines = lines.concat(parts.map((raw, i) => parse(raw, lines.length + i + 1)));
            frame ||= requestAnimationFrame(flush);
          }
        }
        if (pending) lines = lines.concat(parse(pending, lines.length + 1));
        cancelAnimationFrame(frame);
        setState({ lines, error: null, done: true });
      } catch (error) {
        if (abort.signal.aborted) return;
        setState({ lines, error: errorMessage(error), done: true });
      }
    })();
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [id, follow, key]);

  return state;
}
