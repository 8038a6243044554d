import { InvalidArgumentError, Option } from "commander";

/** `-p, --project <slug>`, required: most commands act inside one project. */
export function projectOption(): Option {
  return new Option("-p, --project <slug>", "project slug").makeOptionMandatory();
}

/** `--limit <n>` for list commands: one page of at most n items (the server's maximum page is 200). */
export function limitOption(defaultValue: number): Option {
  return new Option("--limit <n>", "how many to show (1-200)").argParser(integerIn(1, 200)).default(defaultValue);
}

export function cursorOption(): Option {
  return new Option("--cursor <cursor>", "continue a previous listing (printed under a full page)");
}

export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return number;
  };
}

export function serverUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // reported below, with the expected shape
  }
  throw new InvalidArgumentError("expected an http(s) URL such as http://localhost:8080.");
}

/** The `Examples:` block every command shows under its `--help`. */
export function examples(...commands: string[]): string {
  return `\nExamples:\n${commands.map((command) => `  $ ${command}`).join("\n")}\n`;
}
