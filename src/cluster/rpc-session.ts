/**
 * The receiving end of one node RPC session (the caller's end is rpc-connection.ts): checks every
 * frame's tag, runs the calls it carries concurrently, and sends the answers back batched per turn of
 * the event loop. A frame that fails authentication or does not parse ends the session. A caller that
 * sends more calls than run at once, or does not read its answers, is read no further until it
 * catches up, so what it costs the node stays bounded.
 */
import type { Socket } from 'node:net';
import { DriveError } from '../storage/drive.js';
import { FrameOpener, FrameWriter, MAX_FRAME_BYTES, piecesLength } from './rpc-frames.js';
import { encodeAnswer, parseCalls, rpcPackr, type CallMessage } from './rpc-messages.js';
import type { SessionHello } from './rpc-connection.js';

/** Calls of one session running at once; more wait their turn, and the socket is not read meanwhile. */
const MAX_IN_FLIGHT = 512;
/** Answers not yet taken by the caller's socket before this session stops reading calls. */
const MAX_UNSENT_BYTES = 64 * 1024 * 1024;

export interface CallHandler {
  /** Largest msgpack argument list `route` accepts (checked before decoding). */
  argsLimit(route: string): number;
  /** Runs one call; a thrown DriveError travels back to the caller as it is. */
  dispatch(route: string, args: unknown): Promise<unknown>;
}

export class ReceiverSession {
  private readonly opener: FrameOpener;
  private readonly writer: FrameWriter;
  private inFlight = 0;
  /** Calls received and not yet started: backlog[next..]. */
  private backlog: CallMessage[] = [];
  private next = 0;
  private paused = false;
  private ended = false;
  private draining = false;

  constructor(
    private readonly socket: Socket,
    key: Buffer,
    hello: SessionHello,
    private readonly handler: CallHandler,
    private readonly log: (line: string) => void,
  ) {
    this.opener = new FrameOpener(key, 'to-receiver');
    this.writer = new FrameWriter(socket, key, 'to-caller', () => this.pump());
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.end());
    // The listener keeps sockets half-open after the caller's FIN (HTTP needs that); a session does not.
    socket.on('end', () => this.end());
    socket.on('close', () => this.end());
    socket.on('drain', () => this.pump());
    this.writer.send([rpcPackr.pack(hello)]);
  }

  receive(chunk: Buffer): void {
    if (this.ended) return;
    try {
      for (const payload of this.opener.push(chunk)) {
        for (const call of parseCalls(payload)) {
          // Pings and lock calls keep the cluster's heartbeat and leases, and cost nothing: never queued.
          if (call.route === 'ping' || call.route.startsWith('lock/')) void this.run(call);
          else this.backlog.push(call);
        }
      }
    } catch (err) {
      this.log(`node RPC session from ${this.socket.remoteAddress} ended: ${(err as Error).message}`);
      this.end();
      return;
    }
    this.pump();
  }

  /** Answers not yet taken by the caller: queued here or buffered by the socket. */
  private unsentBytes(): number {
    return this.writer.pendingBytes + this.socket.writableLength;
  }

  /** Starts waiting calls while there is room, and reads the socket only while nothing waits. */
  private pump(): void {
    if (this.ended) return;
    while (this.next < this.backlog.length && this.inFlight < MAX_IN_FLIGHT && this.unsentBytes() <= MAX_UNSENT_BYTES) void this.run(this.backlog[this.next++]);
    if (this.next === this.backlog.length) {
      this.backlog = [];
      this.next = 0;
    }
    const hold = this.backlog.length > 0 || this.unsentBytes() > MAX_UNSENT_BYTES;
    if (hold !== this.paused) {
      this.paused = hold;
      if (hold) this.socket.pause();
      else this.socket.resume();
    }
  }

  private async run(call: CallMessage): Promise<void> {
    this.inFlight++;
    let answer: Buffer[];
    try {
      const limit = this.handler.argsLimit(call.route);
      if (call.args.length > limit) throw new DriveError('invalid', `arguments of ${call.args.length} bytes are too large for ${call.route} (limit ${limit})`);
      answer = encodeAnswer(call.id, false, await this.handler.dispatch(call.route, rpcPackr.unpack(call.args)));
      if (piecesLength(answer) > MAX_FRAME_BYTES['to-caller']) throw new DriveError('faulty', `the answer to ${call.route} is over the frame limit`);
    } catch (err) {
      const kind = err instanceof DriveError ? err.kind : 'faulty';
      // Whether the call may have been carried out, as the caller would judge a local failure (set.ts isUnanswered).
      const unanswered = !(err instanceof DriveError) || err.unanswered;
      answer = encodeAnswer(call.id, true, { kind, message: err instanceof Error ? err.message : String(err), unanswered });
    } finally {
      this.inFlight--;
    }
    if (this.ended) return;
    this.writer.send(answer);
    this.pump();
    if (this.draining && this.inFlight === 0 && this.backlog.length === 0) setImmediate(() => this.finish());
  }

  /** Ends the session as soon as no call is running (after the answers in hand are sent). */
  drain(): void {
    this.draining = true;
    if (this.inFlight === 0 && this.backlog.length === 0) setImmediate(() => this.finish());
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.destroy();
  }

  /** Sends the answers in hand, then closes the connection. */
  private finish(): void {
    if (this.ended) return;
    this.writer.flush();
    this.ended = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }
}
