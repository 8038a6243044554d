import type { Readable } from "node:stream";
import { UsageError } from "./errors.ts";

export type InputStream = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Everything on stdin, less one trailing newline: `echo "$PASSWORD" | stagegate login --password-stdin`. */
export async function readPasswordFromStream(input: Readable): Promise<string> {
  let text = "";
  for await (const chunk of input) text += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
  const password = text.replace(/\r?\n$/, "");
  if (!password) throw new UsageError("no password on stdin");
  return password;
}

/** Asks on the terminal without echoing what is typed. */
export function promptPassword(
  input: InputStream,
  prompt: { write(text: string): unknown },
  label = "Password: ",
): Promise<string> {
  const setRaw = input.setRawMode?.bind(input);
  if (!setRaw) return Promise.reject(new UsageError("cannot read a password from this terminal; use --password-stdin"));
  prompt.write(label);
  setRaw(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = () => {
      input.off("data", onData);
      setRaw(false);
      input.pause();
      prompt.write("\n");
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === "\u0004") {
          finish();
          resolve(value);
          return;
        }
        if (char === "\u0003") {
          finish();
          reject(new UsageError("cancelled"));
          return;
        }
        value = char === "\u007f" || char === "\b" ? value.slice(0, -1) : value + char;
      }
    };
    input.on("data", onData);
  });
}

/** `--password-stdin`, else a prompt on a terminal, else a usage error naming both ways. */
export async function readPassword(options: {
  stdin: InputStream;
  passwordStdin: boolean;
  prompt: { write(text: string): unknown };
}) {
  if (options.passwordStdin) return readPasswordFromStream(options.stdin);
  if (options.stdin.isTTY) return promptPassword(options.stdin, options.prompt);
  throw new UsageError("stdin is not a terminal: pass the password on stdin with --password-stdin");
}
