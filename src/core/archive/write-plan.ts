/**
 * Which part of a batch to write next, when InfluxDB refuses some of it.
 *
 * A batch starts as one range. A `400 partial write` (bad point, field type conflict…) says that
 * *some* points were refused but not which, so the range is halved and each half written again
 * until every refused point is isolated: k bad points in n cost about 2·k·log2(n/k) requests.
 * Re-writing the accepted points is harmless: InfluxDB overwrites a point with the same series
 * and timestamp. A `413` halves the same way, and a single point that is still too large is
 * refused. Ranges are handed out left to right, so the batch keeps its order.
 *
 * Pure bookkeeping: the caller does the writing and reports each verdict back.
 */

export interface Range {
  /** Index of the first line. */
  readonly start: number;
  /** Index after the last line. */
  readonly end: number;
}

export interface RefusedRange extends Range {
  code: string;
  reason: string;
}

export class WritePlan {
  /** Ranges still to write; the last one is the current range. */
  private readonly stack: Range[];
  private acceptedLines = 0;
  readonly refused: RefusedRange[] = [];

  constructor(readonly size: number) {
    this.stack = size > 0 ? [{ start: 0, end: size }] : [];
  }

  /** The range to write now, or undefined when the plan is complete. */
  current(): Range | undefined {
    return this.stack[this.stack.length - 1];
  }

  get done(): boolean {
    return this.stack.length === 0;
  }

  /** Lines written so far. */
  get accepted(): number {
    return this.acceptedLines;
  }

  /** True while no range was settled: the current range is still the whole batch. */
  get untouched(): boolean {
    const range = this.current();
    return this.stack.length === 1 && range !== undefined && range.start === 0 && range.end === this.size;
  }

  /** The current range was written. */
  accept(): void {
    const range = this.take();
    this.acceptedLines += range.end - range.start;
  }

  /**
   * The current range was refused in part or whole (`400`). `dropped` is the server's count of
   * refused points: when it covers the whole range no request is needed to know they all failed.
   */
  refuse(code: string, reason: string, dropped?: number): void {
    const range = this.take();
    const size = range.end - range.start;
    if (size === 1 || (dropped !== undefined && dropped >= size)) {
      this.refused.push({ ...range, code, reason });
    } else {
      this.pushHalves(range);
    }
  }

  /**
   * The server wrote the current range except the lines it lists (InfluxDB 3 partial write;
   * `line` is 1-based into the range). Returns how many lines were written, or undefined when a
   * line number is outside the range — then nothing is settled and the caller bisects instead.
   */
  refuseLines(code: string, errors: ReadonlyArray<{ line: number; message: string }>): number | undefined {
    const range = this.current();
    if (!range) throw new Error('WritePlan: nothing left to settle');
    const size = range.end - range.start;
    const byIndex = new Map<number, string>();
    for (const { line, message } of errors) {
      if (!Number.isInteger(line) || line < 1 || line > size) return undefined;
      if (!byIndex.has(line - 1)) byIndex.set(line - 1, message);
    }
    this.take();
    for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
      this.refused.push({ start: range.start + index, end: range.start + index + 1, code, reason: byIndex.get(index) as string });
    }
    const written = size - byIndex.size;
    this.acceptedLines += written;
    return written;
  }

  /** The current range is too large for the server (`413`). */
  tooLarge(code: string, reason: string): void {
    const range = this.take();
    if (range.end - range.start === 1) {
      this.refused.push({ ...range, code, reason });
    } else {
      this.pushHalves(range);
    }
  }

  /** Ranges not settled yet, in batch order: what must be kept when writing stops early. */
  remaining(): Range[] {
    return [...this.stack].reverse();
  }

  private take(): Range {
    const range = this.stack.pop();
    if (!range) throw new Error('WritePlan: nothing left to settle');
    return range;
  }

  private pushHalves(range: Range): void {
    const middle = range.start + Math.ceil((range.end - range.start) / 2);
    this.stack.push({ start: middle, end: range.end }, { start: range.start, end: middle });
  }
}
