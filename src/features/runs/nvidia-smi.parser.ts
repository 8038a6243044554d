/**
 * `nvidia-smi --query-gpu=<fields> --format=csv[,nounits]` output: a header naming the fields (with units in brackets,
 * `memory.used [MiB]`), then one row per GPU per sample; `-l 5` repeats header-less rows or whole blocks. Values carry
 * their units (`38 %`, `575 MiB`) and `[N/A]` / `[Not Supported]` where the GPU has no value.
 */
export interface GpuSample {
  /** Sample time in ms: the `timestamp` column when queried, else the order of the block. */
  ts: number | undefined;
  /** The how-manyth sample of this GPU in the file (0, 1, …): `-l 5` without a timestamp column repeats rows. */
  sequence: number;
  /** GPU index (or its uuid when no index was queried). */
  gpu: string;
  uuid: string | undefined;
  /** Field name (without unit) → numeric value; fields that are not numbers or `[N/A]` are left out. */
  values: Record<string, number>;
}

const NOT_AVAILABLE = /^\[(N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU is lost)\]$/i;

function splitCsv(line: string): string[] {
  return line.split(",").map((cell) => cell.trim());
}

function headerField(cell: string): string {
  return cell.replace(/\s*\[[^\]]*\]\s*$/, "").trim();
}

function numeric(cell: string): number | undefined {
  if (NOT_AVAILABLE.test(cell) || cell === "") return undefined;
  const match = /^(-?\d+(?:\.\d+)?)(?:\s*(%|MiB|W|MHz|C|KiB|GiB|s|us|ms))?$/.exec(cell);
  if (!match) {
    if (/^(Enabled|Active|Yes)$/i.test(cell)) return 1;
    if (/^(Disabled|Not Active|No)$/i.test(cell)) return 0;
    return undefined;
  }
  return Number(match[1]);
}

/** nvidia-smi prints `2024/05/01 12:00:00.123` in local time; we read it as UTC unless the caller says otherwise. */
function timestamp(cell: string): number | undefined {
  const match = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(cell);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number((ms ?? "0").padEnd(3, "0")));
}

function looksLikeHeader(cells: string[]): boolean {
  return (
    cells.some((c) => /^[a-z_]+(\.[a-z_]+)*(\s*\[[^\]]+\])?$/.test(c) && !/^\d/.test(c)) &&
    cells.every((c) => !/^\d+(\.\d+)?(\s|$)/.test(c))
  );
}

export function parseNvidiaSmiCsv(text: string): { samples: GpuSample[]; errors: { line: number; reason: string }[] } {
  const samples: GpuSample[] = [];
  const errors: { line: number; reason: string }[] = [];
  let header: string[] | undefined;
  const seen = new Map<string, number>();
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    // Captures often hold the shell prompt or banners around the CSV.
    if (line === "" || line.startsWith("#") || line.startsWith("$")) return;
    const cells = splitCsv(line);
    if (looksLikeHeader(cells)) {
      header = cells.map(headerField);
      return;
    }
    if (!header) {
      errors.push({
        line: index + 1,
        reason: "a data row before any header line (run nvidia-smi with --format=csv, not noheader)",
      });
      return;
    }
    if (cells.length !== header.length) {
      errors.push({ line: index + 1, reason: `${cells.length} values for ${header.length} header fields` });
      return;
    }
    const values: Record<string, number> = {};
    let ts: number | undefined;
    let gpu: string | undefined;
    let uuid: string | undefined;
    header.forEach((field, i) => {
      const cell = cells[i] ?? "";
      if (field === "timestamp") ts = timestamp(cell);
      else if (field === "index") gpu = cell;
      else if (field === "uuid" || field === "gpu_uuid") uuid = cell;
      else {
        const value = numeric(cell);
        if (value !== undefined) values[field] = value;
      }
    });
    const id = gpu ?? uuid ?? "0";
    const sequence = seen.get(id) ?? 0;
    seen.set(id, sequence + 1);
    samples.push({ ts, sequence, gpu: id, uuid, values });
  });
  return { samples, errors };
}
