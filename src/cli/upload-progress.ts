import type { WriteStream } from "node:tty";
import cliProgress from "cli-progress";
import type { Writer } from "./context.ts";

/** Upload progress over the total bytes of all files: a bar on a terminal, one line per file in CI logs. */
export interface UploadProgress {
  /** A file starts; `done` is the byte count of all files before it. */
  file(name: string): void;
  /** Bytes of all files sent so far. */
  update(done: number): void;
  /** A line that must not be drawn over by the bar. */
  log(text: string): void;
  stop(): void;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function isTerminal(writer: Writer): writer is WriteStream {
  return "isTTY" in writer && writer.isTTY === true;
}

export function uploadProgress(stderr: Writer, totalBytes: number): UploadProgress {
  if (!isTerminal(stderr)) return plainProgress(stderr);
  const bars = new cliProgress.MultiBar(
    {
      stream: stderr,
      format: "uploading [{bar}] {percentage}% | {done}/{size} | {file}",
      hideCursor: true,
      // Ctrl-C restores the cursor it hid.
      gracefulExit: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(totalBytes, 0, { done: formatBytes(0), size: formatBytes(totalBytes), file: "" });
  let current = "";
  return {
    file(name) {
      current = name;
      bar.update({ file: name });
    },
    update(done) {
      bar.update(done, { done: formatBytes(done), file: current });
    },
    log(text) {
      bars.log(text.endsWith("\n") ? text : `${text}\n`);
    },
    stop() {
      // Lines logged since the last redraw are only written by a redraw.
      bars.update();
      bars.stop();
    },
  };
}

function plainProgress(stderr: Writer): UploadProgress {
  return {
    file: () => undefined,
    update: () => undefined,
    log: (text) => stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    stop: () => undefined,
  };
}
