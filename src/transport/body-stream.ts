/**
 * A request body handed to its handler as it arrives (an operation whose body is `streamed`):
 * the server pushes uWS's chunks in, the handler iterates them. When more than `highWater`
 * bytes wait unread the connection is paused, and resumed once the handler has read them down
 * to half of that, so a slow handler bounds what the server holds whatever the body's size.
 * A client that goes away fails the iteration; a reply written before the end closes it (the
 * rest is dropped).
 */

/** What a streamed body's handler reads: its chunks in order, and the payload limit for what it keeps at once (a line, a record). */
export interface StreamedBody extends AsyncIterable<Buffer> {
  /** KAIROS_MAX_PAYLOAD_BYTES: the most the handler should hold of one unit (a line) */
  readonly limit: number;
}

/** How the stream throttles its connection (uWS's `res.pause()` and `res.resume()`). */
export interface BodyFlow {
  pause(): void;
  resume(): void;
}

export class BodyStream implements StreamedBody {
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private closed = false;
  private paused = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly flow: BodyFlow,
    readonly limit: number,
    private readonly highWater: number,
  ) {}

  /** Bytes waiting unread. */
  get waiting(): number {
    return this.queued;
  }

  /** A chunk from the connection (copied by the caller: uWS's is valid only during its callback). */
  push(chunk: Buffer, last: boolean): void {
    if (this.closed || this.failure !== undefined) return;
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.queued += chunk.byteLength;
    }
    if (last) this.ended = true;
    else if (!this.paused && this.queued >= this.highWater) {
      this.paused = true;
      this.flow.pause();
    }
    this.notify();
  }

  /** The client went away: the reader's next read throws this. */
  fail(err: Error): void {
    if (this.closed) return;
    this.failure = err;
    this.notify();
  }

  /** The reply is written: nothing more is read; a paused connection goes on (to take the reply's end). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks.length = 0;
    this.queued = 0;
    if (this.paused && this.failure === undefined) {
      this.paused = false;
      this.flow.resume();
    }
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.closed) return;
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.queued -= chunk.byteLength;
        if (this.paused && this.queued <= this.highWater / 2) {
          this.paused = false;
          this.flow.resume();
        }
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
