import type { Broker } from '@eddy/broker';
import type { ApiCodec } from '@eddy/protocol-kafka';
import type { KafkaGatewayState } from './gateway-state.js';
import type { ReadBufferPool } from './read-buffer-pool.js';

/** One client connection, as handlers see it. */
export interface KafkaConnection {
  /** Unique within one gateway, increasing. */
  readonly id: number;
  /** `host:port` of the peer. */
  readonly remoteAddress: string;
  /** The client id of the latest request on this connection. */
  clientId: string | null;
}

/** What a handler gets besides its decoded request. */
export interface KafkaHandlerContext {
  readonly broker: Broker;
  readonly state: KafkaGatewayState;
  readonly connection: KafkaConnection;
  /** The negotiated version of this request (within the codec's range). */
  readonly apiVersion: number;
  readonly clientId: string | null;
  /** Buffers to read stored batches into, when the listener recycles them (see {@link ReadBufferPool}). */
  readonly readBuffers?: ReadBufferPool;
  /**
   * Runs `callback` once this request's response has been handed to the socket in full (not when the
   * connection closes first, nor when there is no response): the moment buffers the response refers
   * to may be reused.
   */
  readonly onResponseWritten?: (callback: () => void) => void;
}

/** One Kafka API: its codec and what the broker does with a request. */
// biome-ignore lint/suspicious/noExplicitAny: the handler list mixes every API's request and response types.
export interface KafkaApiHandler<Req = any, Res = any> {
  readonly codec: ApiCodec<Req, Res>;
  /**
   * undefined = send no response (Produce with acks=0). Throwing KafkaProtocolError closes nothing: the
   * framework answers with the error where the API has a top-level error code, else closes the connection.
   */
  handle(request: Req, context: KafkaHandlerContext): Promise<Res | undefined>;
  /**
   * The response that reports `errorCode` for the whole request, for APIs with a top-level error code
   * (or where every partition can carry it). When absent, a handler that throws closes the connection,
   * as Kafka does for a request it cannot answer.
   */
  errorResponse?(request: Req, errorCode: number): Res;
}
