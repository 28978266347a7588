import { LineSplitter } from "../common/lineSplitter.js";
import type { FieldSpec } from "../common/schemas.js";
import type { SourceSink } from "../types.js";
import { createLineParser, mapFields, type LineFormat, type LineParser } from "./lineFormat.js";

/**
 * Bytes from a line-oriented device → readings. Serial boards have no wall clock, so readings
 * are stamped with the time the line was complete.
 */
export class LineIngest {
  private readonly splitter: LineSplitter;
  private readonly parser: LineParser;

  constructor(
    format: LineFormat,
    private readonly fields: Record<string, FieldSpec>,
    private readonly sink: SourceSink,
    maxLineBytes = 8192,
    private readonly now: () => number = Date.now,
  ) {
    this.splitter = new LineSplitter(maxLineBytes);
    this.parser = createLineParser(format, fields);
  }

  push(chunk: Buffer): void {
    for (const piece of this.splitter.push(chunk)) {
      if ("overflow" in piece) {
        this.sink.reject(`line longer than the limit (${piece.overflow} bytes discarded)`, "");
        continue;
      }
      this.line(piece.line);
    }
  }

  /** Forget a partial line, e.g. after the port was reopened. */
  reset(): void {
    this.splitter.reset();
  }

  private line(line: string): void {
    const result = this.parser.parse(line);
    if (result.kind === "empty" || result.kind === "header") return;
    if (result.kind === "reject") {
      this.sink.reject(result.reason, line);
      return;
    }
    const mapped = mapFields(result.values, this.fields);
    if (!mapped.ok) {
      this.sink.reject(mapped.reason, line);
      return;
    }
    const ts = this.now();
    for (const { spec, value } of mapped.readings) this.sink.reading({ channel: spec.channel, value, ts });
  }
}
