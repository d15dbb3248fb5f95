import { type ApiVersionsRequest, type ApiVersionsResponse, apiVersionsCodec } from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { KAFKA_HANDLERS } from './index.js';

// Read at request time: the list is complete by then (it imports this module).
function advertised(errorCode: number): ApiVersionsResponse {
  const apiKeys = KAFKA_HANDLERS.map(({ codec }) => ({
    apiKey: codec.apiKey,
    minVersion: codec.minVersion,
    maxVersion: codec.maxVersion,
  })).sort((a, b) => a.apiKey - b.apiKey);
  return { errorCode, apiKeys, throttleTimeMs: 0 };
}

/** ApiVersions: exactly the APIs of {@link KAFKA_HANDLERS}, each with its codec's advertised range. */
export const apiVersionsHandler: KafkaApiHandler<ApiVersionsRequest, ApiVersionsResponse> = {
  codec: apiVersionsCodec,
  handle: async () => advertised(0),
  errorResponse: (_request, errorCode) => advertised(errorCode),
};
