import type { Logger } from '@eddy/message';
import type { AdminRoute } from './admin-handler.js';
import { collectBrokerMetrics } from './broker-metrics.js';
import { jsonReply } from './http-reply.js';
import type { MetricsRegistry } from './metrics-registry.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.js';

/** What the health and metrics endpoints read besides the broker. */
export interface ObservabilitySources {
  readonly metrics: MetricsRegistry;
  readonly isReady: () => boolean;
  readonly storeSizeBytes?: (() => number | Promise<number>) | undefined;
  readonly logger: Logger;
}

/**
 * `GET /healthz` (200 `{ status: 'ok' }` when ready, else 503 `{ status: 'unavailable' }`) and
 * `GET /metrics` (the Prometheus text exposition of the broker's and the registry's metrics).
 */
export function observabilityRoutes(sources: ObservabilitySources): AdminRoute[] {
  return [
    {
      pattern: '/healthz',
      methods: {
        GET: async () => {
          let ready: boolean;
          try {
            ready = sources.isReady();
          } catch (error) {
            // A readiness probe that throws says nothing good: not ready, and the reason is logged.
            sources.logger.error('readiness check failed', { error: String(error) });
            ready = false;
          }
          return ready ? jsonReply(200, { status: 'ok' }) : jsonReply(503, { status: 'unavailable' });
        },
      },
    },
    {
      pattern: '/metrics',
      methods: {
        GET: async ({ broker }) => {
          const families = await collectBrokerMetrics(broker, sources);
          return { status: 200, text: sources.metrics.render(families), contentType: PROMETHEUS_CONTENT_TYPE };
        },
      },
    },
  ];
}
