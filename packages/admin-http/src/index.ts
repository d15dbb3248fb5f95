/**
 * Eddy's HTTP front for operators: health (`GET /healthz`), Prometheus metrics (`GET /metrics`) and the
 * admin REST API (`/admin/…`: topics, consumer groups and offset resets, message look-up by id and
 * key, dead-letter re-sends) over a `Broker` from @eddy/broker.
 *
 * - {@link MetricsRegistry}: in-process counters and histograms the gateways (RPC latency and codes)
 *   and the server app (flush latency) feed; no metrics library.
 * - {@link startAdminHttp}: the server. Requests are validated with zod; errors are
 *   `{ error: { code, message } }` with statuses from one table ({@link ERROR_STATUS}).
 * - {@link renderPrometheusText}: the pure text-format renderer, for anyone adding families.
 *
 * It does not authenticate: bind it to loopback (the default) or put it behind a proxy that does. It
 * neither starts nor closes the broker, and it is not a protocol gateway.
 *
 * @packageDocumentation
 */
export {
  type AdminHttpOptions,
  AdminHttpOptionsSchema,
  DEFAULT_ADMIN_MAX_REQUEST_BYTES,
  type RunningAdminHttp,
  startAdminHttp,
} from './admin-http.js';
export type { StoredMessageJson, TopicConfigJson } from './admin-json.js';
export {
  CreateTopicRequestSchema,
  DEFAULT_MESSAGES_BY_KEY,
  MAX_MESSAGES_BY_KEY,
  MessagesByKeyQuerySchema,
  ResendDeadLetterRequestSchema,
  ResetOffsetsRequestSchema,
  ResetTargetSchema,
  UpdateTopicRequestSchema,
} from './admin-schemas.js';
export { ERROR_STATUS, statusOfErrorCode } from './error-status.js';
export { Histogram, type HistogramSnapshot } from './histogram.js';
export type { AdminErrorBody, AdminErrorCode } from './http-reply.js';
export {
  DEFAULT_FLUSH_BUCKETS_SECONDS,
  DEFAULT_RPC_BUCKETS_SECONDS,
  MetricsRegistry,
  type MetricsRegistryOptions,
  MetricsRegistryOptionsSchema,
  OVERFLOW_LABEL,
} from './metrics-registry.js';
export {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  type HistogramBucket,
  type HistogramSeries,
  type MetricFamily,
  type MetricLabels,
  type MetricSample,
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheusText,
} from './prometheus-text.js';
