import { EventLogAnalyzer, type RawAnalysis } from "../analyzer/event-log.analyzer.ts";
import { LineSplitter } from "../analyzer/line-splitter.ts";
import { type ByteCounts, DEFAULT_DECODE_LIMITS, type DecodeLimits, decodeEventLog } from "../codecs/decode.ts";
import { describe } from "../codecs/detect.ts";
import { CorruptStreamError, notAnEventLog, TruncatedStreamError } from "../codecs/errors.ts";
import { diagnose } from "../diagnoses/diagnose.ts";
import type { LogState } from "../diagnoses/log.diagnosis.ts";
import type { Codec, SourceInfo, SparkAnalysis } from "../spark.types.ts";

export interface IngestOptions {
  limits?: DecodeLimits;
}

/**
 * One event log, fed as one or more parts (a rolling `eventlog_v2_*` directory's `events_<N>_*` files in N order, or
 * a single file, or parts concatenated in one upload). Each part is decoded by its own codec and read line by line.
 * A corrupt or cut-off compressed stream ends the reading there: what came before is analysed, and a finding says where.
 */
export class SparkIngest {
  private readonly analyzer = new EventLogAnalyzer();
  private readonly counts: ByteCounts = { compressed: 0, decompressed: 0 };
  private readonly limits: DecodeLimits;
  private codec: Codec = "none";
  private parts = 0;
  private stopped = false;
  private firstLineChecked = false;
  private readonly state: LogState = { incompleteReasons: [], corrupt: null };

  constructor(options: IngestOptions = {}) {
    this.limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  }

  /** Whether a broken stream stopped the reading (later parts are ignored then). */
  get broken(): boolean {
    return this.stopped;
  }

  async addPart(source: AsyncIterable<Uint8Array>, name = ""): Promise<void> {
    if (this.stopped) return;
    this.parts++;
    const decoded = await decodeEventLog(source, { name, limits: this.limits, counts: this.counts });
    if (this.parts === 1) this.codec = decoded.codec;
    const splitter = new LineSplitter((line, last) => this.line(line, last));
    try {
      for await (const chunk of decoded.bytes) splitter.push(chunk);
      splitter.end();
      if (!decoded.end.endMarker)
        this.state.incompleteReasons.push(
          `the ${decoded.codec} stream of part ${this.parts} has no end-of-stream marker (still being written?)`,
        );
    } catch (error) {
      if (!(error instanceof CorruptStreamError)) throw error;
      splitter.end();
      this.stopped = true;
      if (error instanceof TruncatedStreamError) {
        this.state.incompleteReasons.push(`part ${this.parts} is cut off: ${error.message}`);
      } else {
        this.state.corrupt = { codec: error.codec, offset: error.offset, part: this.parts, message: error.message };
      }
    }
    if (!this.firstLineChecked) {
      const broke = this.state.corrupt?.message ?? (this.stopped ? this.state.incompleteReasons.at(-1) : undefined);
      if (broke) throw notAnEventLog(`a ${decoded.codec} file that breaks before its first complete line (${broke})`);
      throw notAnEventLog(`an empty ${decoded.codec === "none" ? "" : `${decoded.codec}-compressed `}file`);
    }
  }

  private line(text: string, last: boolean): void {
    if (!this.firstLineChecked) {
      if (text.trim() === "") return;
      this.firstLineChecked = true;
      const before = this.analyzer.eventsRead;
      this.analyzer.line(text, last);
      if (this.analyzer.eventsRead === before) {
        const what = describe(new TextEncoder().encode(text.slice(0, 512)));
        throw notAnEventLog(
          this.codec === "none" ? what : `${this.codec}-compressed ${what}`,
          "Its first line is not a Spark listener event.",
        );
      }
      return;
    }
    this.analyzer.line(text, last);
  }

  /** The analysis of everything read. `appStatus` comes from a rolling directory's appstatus file, when there is one. */
  finish(appStatus: SourceInfo["appStatus"] = null): SparkAnalysis {
    const raw = this.analyzer.finish();
    const reasons = [...this.state.incompleteReasons];
    if (!raw.hasApplicationEnd) reasons.unshift(`no SparkListenerApplicationEnd (last event: ${raw.lastEvent ?? "none"})`);
    if (raw.cutOffLastLine) reasons.push("the last line is cut off mid-event");
    if (appStatus === "in_progress") reasons.push("appstatus says the application is still in progress");
    const state: LogState = { incompleteReasons: reasons, corrupt: this.state.corrupt };
    return toAnalysis(raw, state, {
      codec: this.codec,
      parts: this.parts,
      compressedBytes: this.counts.compressed,
      decompressedBytes: this.counts.decompressed,
      appStatus,
    });
  }
}

function toAnalysis(raw: RawAnalysis, state: LogState, source: SourceInfo): SparkAnalysis {
  return {
    app: raw.app,
    counts: raw.counts,
    totals: raw.totals,
    complete: state.incompleteReasons.length === 0 && state.corrupt === null,
    hasApplicationEnd: raw.hasApplicationEnd,
    lastEvent: raw.lastEvent,
    incompleteReasons: state.incompleteReasons,
    malformedLines: raw.malformedLines,
    executorsRemoved: raw.executorsRemoved,
    stages: raw.stages,
    jobs: raw.jobs,
    executors: raw.executors,
    failures: raw.failures,
    findings: diagnose(raw, state),
    source,
  };
}
