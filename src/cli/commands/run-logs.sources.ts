import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import yauzl from "yauzl";

/** A log file of a cluster-log folder or zip: its path inside it and its bytes (gunzipped when it was `.gz`). */
export interface LogFile {
  name: string;
  /** When the file was last written (the zip entry's time in a zip): the time of a file's undated lines. */
  mtime?: Date;
  read(): Promise<Buffer>;
}

/** Bounds against zip and gzip bombs (the server's own upload limits: DESIGN §6). */
export interface ArchiveLimits {
  /** Largest single file after decompression. */
  fileBytes: number;
  /** Largest sum of all files after decompression. */
  totalBytes: number;
  /** Largest decompressed / compressed ratio, checked above `ratioFloorBytes`. */
  ratio: number;
  ratioFloorBytes: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  fileBytes: 512 * 1024 ** 2,
  totalBytes: 4 * 1024 ** 3,
  ratio: 200,
  ratioFloorBytes: 1024 ** 2,
};

/** driver `stdout`, `stderr`, `log4j-*.log`, rotated `stderr--2024-…`, any of them `.gz`; executor `stderr`. */
const LOG_FILE = /(^|[\\/])(stdout|stderr|log4j[^\\/]*\.log)([-.][^\\/]*)?(\.gz)?$/;

export class ArchiveError extends Error {
  override readonly name = "ArchiveError";
}

function tooBig(name: string, what: string): ArchiveError {
  return new ArchiveError(`${name}: ${what}; refusing it (a damaged or hostile archive?)`);
}

/** `.gz` files are inflated with the same bounds: a rotated log that expands beyond them is refused. */
export function decompress(name: string, raw: Buffer, limits: ArchiveLimits): Buffer {
  if (!name.endsWith(".gz")) return raw;
  const max = Math.min(limits.fileBytes, Math.max(limits.ratioFloorBytes, raw.length * limits.ratio));
  try {
    return gunzipSync(raw, { maxOutputLength: max });
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooBig(name, `expands beyond ${max} bytes`);
    throw new ArchiveError(`${name}: not a readable gzip file (${(error as Error).message})`, { cause: error });
  }
}

/** Log files to read one after the other, then `close()`. */
export interface LogFiles {
  files: LogFile[];
  close(): void;
}

/** The log files of a folder, sorted by path. */
export function folderFiles(dir: string, limits: ArchiveLimits = DEFAULT_LIMITS): LogFiles {
  const walk = (at: string): string[] =>
    readdirSync(at, { withFileTypes: true }).flatMap((entry) => {
      const path = join(at, entry.name);
      if (entry.isDirectory()) return walk(path);
      return LOG_FILE.test(path) ? [path] : [];
    });
  const files = walk(dir)
    .sort()
    .map((path) => {
      const name = relative(dir, path);
      return { name, mtime: statSync(path).mtime, read: async () => decompress(name, readFileSync(path), limits) };
    });
  return { files, close: () => undefined };
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // lazyEntries: one entry at a time, read from the file on demand; the archive is never loaded whole.
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) =>
      error || !zip ? reject(error ?? new Error("no zip")) : resolve(zip),
    );
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) return reject(error ?? new Error("no stream"));
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        // yauzl checks the declared size too (validateEntrySizes); this holds even if a header lies.
        if (size > limit) stream.destroy(tooBig(entry.fileName, `expands beyond ${limit} bytes`));
        else chunks.push(chunk);
      });
      stream.on("error", reject);
      stream.on("end", () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** The log files of a zip (Databricks "download cluster logs", or a zipped copy of dbfs:/cluster-logs/<id>), by path. */
export async function zipFiles(path: string, limits: ArchiveLimits = DEFAULT_LIMITS): Promise<LogFiles> {
  const zip = await openZip(path).catch((error: unknown) => {
    throw new ArchiveError(`${path} is not a readable zip archive: ${(error as Error).message}`, { cause: error });
  });
  const entries: yauzl.Entry[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("entry", (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith("/") && LOG_FILE.test(entry.fileName)) entries.push(entry);
        zip.readEntry();
      });
      zip.on("end", resolve);
      zip.on("error", reject);
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    throw new ArchiveError(`${path} is not a readable zip archive: ${(error as Error).message}`, { cause: error });
  }
  try {
    checkSizes(path, entries, limits);
  } catch (error) {
    zip.close();
    throw error;
  }
  entries.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  const files = entries.map((entry) => ({
    name: entry.fileName,
    mtime: entry.getLastModDate(),
    read: async () => decompress(entry.fileName, await readEntry(zip, entry, limits.fileBytes), limits),
  }));
  return { files, close: () => zip.close() };
}

/** Refuses the archive up front on its central directory's sizes; reading enforces them again. */
function checkSizes(path: string, entries: yauzl.Entry[], limits: ArchiveLimits): void {
  let total = 0;
  for (const entry of entries) {
    const size = entry.uncompressedSize;
    if (size > limits.fileBytes) throw tooBig(entry.fileName, `${size} bytes uncompressed is over ${limits.fileBytes}`);
    if (size > limits.ratioFloorBytes && size > entry.compressedSize * limits.ratio)
      throw tooBig(entry.fileName, `compressed ${Math.round(size / Math.max(1, entry.compressedSize))}:1`);
    total += size;
    if (total > limits.totalBytes) throw tooBig(path, `its log files hold more than ${limits.totalBytes} bytes uncompressed`);
  }
}
