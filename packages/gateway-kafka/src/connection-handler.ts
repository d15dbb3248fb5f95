import type { Socket } from 'node:net';
import type { Broker } from '@eddy/broker';
import type { Logger } from '@eddy/message';
import {
  decodeRequestHeader,
  encodeResponseHeader,
  KafkaErrorCode,
  KafkaProtocolError,
  KafkaReader,
  KafkaWriter,
  kafkaErrorName,
  type RequestHeader,
} from '@eddy/protocol-kafka';
import type { KafkaGatewayState } from './gateway-state.js';
import type { KafkaApiHandler, KafkaConnection, KafkaHandlerContext } from './handler.js';
import type { ReadBufferPool } from './read-buffer-pool.js';

const API_VERSIONS_KEY = 18;
// Requests decoded but not yet answered on one connection; past this the socket stops being read
// (Kafka mutes a channel with a request in flight; clients pipeline a handful at most).
const MAX_IN_FLIGHT = 64;

/** What every connection of one gateway shares. */
export interface ConnectionShared {
  readonly broker: Broker;
  readonly state: KafkaGatewayState;
  readonly logger: Logger;
  readonly handlers: ReadonlyMap<number, KafkaApiHandler>;
  readonly maxRequestBytes: number;
  readonly observe: ((api: string, ms: number, code: string) => void) | undefined;
  /** Fetch reads into these and they come back once the response is written. */
  readonly readBuffers: ReadBufferPool;
}

// One request's place in the reply order.
interface Slot {
  done: boolean;
  /** The framed response; undefined for none (acks=0). */
  /** The response frame, as pieces to write in order (records of a Fetch by reference). */
  bytes: readonly Uint8Array[] | undefined;
  /** Close the connection instead of answering (and drop what follows). */
  close: boolean;
  /** What to run once `bytes` are handed to the socket. */
  written: (() => void)[] | undefined;
}

/**
 * One client connection: splits the byte stream into `int32 size` frames (bounded by
 * `maxRequestBytes`, and never buffered beyond what has arrived), decodes the request header, runs the
 * API's handler, and writes responses strictly in request order however handlers interleave. Bad
 * input closes this connection only; a handler's failure is answered or closes it, never thrown.
 */
export class ConnectionHandler {
  readonly connection: KafkaConnection;
  readonly #socket: Socket;
  readonly #shared: ConnectionShared;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  readonly #slots: Slot[] = [];
  #closed = false;
  #paused = false;
  #idle: (() => void) | undefined;

  constructor(id: number, socket: Socket, shared: ConnectionShared) {
    this.#socket = socket;
    this.#shared = shared;
    this.connection = { id, remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`, clientId: null };
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => shared.logger.info('kafka connection error', { ...this.#where(), error }));
    socket.on('close', () => {
      this.#closed = true;
      this.#chunks.length = 0;
      this.#buffered = 0;
      this.#idle?.();
    });
  }

  /** Resolves once every request read so far has been answered (or the connection closed). */
  whenIdle(): Promise<void> {
    if (this.#slots.length === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }

  /** Closes the socket now; answers not yet written are dropped. */
  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #where(): object {
    return { connection: this.connection.id, remote: this.connection.remoteAddress };
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#drainFrames();
  }

  #drainFrames(): void {
    while (!this.#closed && !this.#paused && this.#buffered >= 4) {
      const size = this.#peekSize();
      if (size < 0 || size > this.#shared.maxRequestBytes) {
        this.#shared.logger.warn('kafka request size out of bounds; closing the connection', {
          ...this.#where(),
          size,
          maxRequestBytes: this.#shared.maxRequestBytes,
        });
        this.destroy();
        return;
      }
      if (this.#buffered < 4 + size) return;
      const frame = this.#take(4 + size).subarray(4);
      this.#dispatch(frame);
      if (this.#slots.length >= MAX_IN_FLIGHT) {
        this.#paused = true;
        this.#socket.pause();
      }
    }
  }

  #peekSize(): number {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.#chunks, 4).readInt32BE(0);
  }

  // Removes and returns the next n buffered bytes (n ≤ buffered): a view when one chunk holds them.
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0] as Buffer;
      const part = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, part);
      at += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    return out;
  }

  #dispatch(frame: Uint8Array): void {
    const slot: Slot = { done: false, bytes: undefined, close: false, written: undefined };
    this.#slots.push(slot);
    const { handlers, logger } = this.#shared;
    const reader = new KafkaReader(frame);
    let header: RequestHeader;
    try {
      header = decodeRequestHeader(reader, (apiKey, version) => {
        const codec = handlers.get(apiKey)?.codec;
        return codec !== undefined && version >= codec.flexibleVersion && version <= codec.maxVersion;
      });
    } catch (error) {
      logger.warn('kafka request header is malformed; closing the connection', { ...this.#where(), error });
      this.#finish(slot, { close: true });
      return;
    }
    const { apiKey, apiVersion, correlationId, clientId } = header;
    this.connection.clientId = clientId;
    const handler = handlers.get(apiKey);
    const supported =
      handler !== undefined && apiVersion >= handler.codec.minVersion && apiVersion <= handler.codec.maxVersion;
    if (!supported) {
      if (apiKey === API_VERSIONS_KEY) {
        // KIP-511: a version we do not know gets a v0-shaped UNSUPPORTED_VERSION with our ranges, so
        // the client can retry with one we speak.
        this.#finish(slot, { bytes: [this.#unsupportedApiVersions(correlationId)] });
        return;
      }
      logger.warn('kafka request for an API or version not served; closing the connection', {
        ...this.#where(),
        apiKey,
        apiVersion,
        clientId,
      });
      this.#finish(slot, { close: true });
      return;
    }
    void this.#run(slot, handler, header, reader);
  }

  async #run(slot: Slot, handler: KafkaApiHandler, header: RequestHeader, reader: KafkaReader): Promise<void> {
    const { codec } = handler;
    const { apiVersion, correlationId, clientId } = header;
    const started = performance.now();
    const observe = (code: string): void => this.#shared.observe?.(codec.name, performance.now() - started, code);
    let request: unknown;
    try {
      request = codec.decodeRequest(reader, apiVersion);
    } catch (error) {
      this.#shared.logger.warn(`kafka ${codec.name} v${apiVersion} request cannot be decoded; closing the connection`, {
        ...this.#where(),
        error,
      });
      observe('INVALID_REQUEST');
      this.#finish(slot, { close: true });
      return;
    }
    const context: KafkaHandlerContext = {
      broker: this.#shared.broker,
      state: this.#shared.state,
      connection: this.connection,
      apiVersion,
      clientId,
      readBuffers: this.#shared.readBuffers,
      onResponseWritten: (callback) => {
        slot.written ??= [];
        slot.written.push(callback);
      },
    };
    let response: unknown;
    try {
      response = await handler.handle(request, context);
    } catch (error) {
      const errorCode = KafkaProtocolError.isKafka(error) ? error.errorCode : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
      if (!KafkaProtocolError.isKafka(error)) {
        this.#shared.logger.error(`kafka ${codec.name} handler failed`, { ...this.#where(), error });
      }
      if (handler.errorResponse === undefined) {
        observe(kafkaErrorName(errorCode));
        this.#finish(slot, { close: true });
        return;
      }
      try {
        response = handler.errorResponse(request, errorCode);
      } catch (inner) {
        this.#shared.logger.error(`kafka ${codec.name} error response failed`, { ...this.#where(), error: inner });
        this.#finish(slot, { close: true });
        return;
      }
    }
    if (response === undefined) {
      observe('NONE');
      this.#finish(slot, {});
      return;
    }
    try {
      const writer = new KafkaWriter(1024);
      writer.int32(0);
      // ApiVersions answers with header v0 at every version: the client reads the header before it knows.
      encodeResponseHeader(
        writer,
        correlationId,
        codec.apiKey !== API_VERSIONS_KEY && apiVersion >= codec.flexibleVersion,
      );
      codec.encodeResponse(writer, apiVersion, response);
      writer.patchInt32(0, writer.length - 4);
      const bytes = writer.finishChunks();
      const errorCode = (response as { errorCode?: unknown }).errorCode;
      observe(typeof errorCode === 'number' ? kafkaErrorName(errorCode) : 'NONE');
      this.#finish(slot, { bytes });
    } catch (error) {
      this.#shared.logger.error(`kafka ${codec.name} response cannot be encoded; closing the connection`, {
        ...this.#where(),
        error,
      });
      this.#finish(slot, { close: true });
    }
  }

  #unsupportedApiVersions(correlationId: number): Uint8Array {
    const apis = [...this.#shared.handlers.values()].map(({ codec }) => codec).sort((a, b) => a.apiKey - b.apiKey);
    const writer = new KafkaWriter(16 + apis.length * 6);
    writer.int32(0).int32(correlationId).int16(KafkaErrorCode.UNSUPPORTED_VERSION);
    writer.array(apis, (w, codec) => {
      w.int16(codec.apiKey).int16(codec.minVersion).int16(codec.maxVersion);
    });
    const bytes = writer.finish();
    new DataView(bytes.buffer, bytes.byteOffset, 4).setInt32(0, bytes.length - 4);
    return bytes;
  }

  #finish(slot: Slot, outcome: { bytes?: readonly Uint8Array[]; close?: boolean }): void {
    slot.done = true;
    slot.bytes = outcome.bytes;
    slot.close = outcome.close ?? false;
    while (this.#slots.length > 0 && (this.#slots[0] as Slot).done) {
      const next = this.#slots.shift() as Slot;
      if (this.#closed) continue;
      if (next.close) {
        this.#closed = true;
        const socket = this.#socket;
        socket.end(() => socket.destroy());
        continue;
      }
      const pieces = next.bytes;
      if (pieces === undefined) continue;
      const written = next.written;
      // The callback of the last piece: the socket has taken all of them (or failed, and closes).
      const done =
        written === undefined
          ? undefined
          : (error?: Error | null) => {
              if (error) return;
              for (const callback of written) callback();
            };
      if (pieces.length === 1) {
        this.#socket.write(pieces[0] as Uint8Array, done);
      } else {
        // One writev for the frame's pieces.
        this.#socket.cork();
        for (let i = 0; i < pieces.length; i++) {
          this.#socket.write(pieces[i] as Uint8Array, i === pieces.length - 1 ? done : undefined);
        }
        this.#socket.uncork();
      }
    }
    if (this.#slots.length === 0) this.#idle?.();
    if (this.#paused && this.#slots.length < MAX_IN_FLIGHT / 2 && !this.#closed) {
      this.#paused = false;
      this.#socket.resume();
      this.#drainFrames();
    }
  }
}
