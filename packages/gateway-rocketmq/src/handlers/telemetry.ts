import type { TelemetrySink } from '../client-registry.js';
import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { WireTelemetryCommand } from '../proto/wire-types.js';
import { statusOf } from '../status.js';
import { applySettings } from './apply-settings.js';

/** The part of a gRPC duplex stream the Telemetry handler uses. */
export interface TelemetryStream {
  on(event: 'data', listener: (command: WireTelemetryCommand) => void): unknown;
  on(event: 'end' | 'cancelled' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  write(command: WireTelemetryCommand): unknown;
  end(): void;
}

/**
 * Telemetry: the long-lived two-way stream of one client to this broker. Every `settings` command is
 * answered with full settings (`applySettings`), in arrival order; the stream is where transaction
 * check-backs are sent (see `ClientRegistry`). Other client commands (thread stack traces, verify
 * results) answer server requests this gateway never makes and are ignored. When the client ends the
 * stream, the server ends its side; `onClose` runs once, however the stream closed.
 */
export function serveTelemetry(
  context: GatewayContext,
  stream: TelemetryStream,
  call: CallInfo,
  onClose: () => void,
): void {
  let closed = false;
  const sink: TelemetrySink = {
    send(command) {
      if (closed) return false;
      try {
        stream.write(command);
        return true;
      } catch {
        close();
        return false;
      }
    },
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    context.openStreams.delete(close);
    if (call.clientId !== undefined) context.clients.detach(call.clientId, sink);
    try {
      stream.end();
    } catch {
      // Already torn down by the transport: nothing left to end.
    }
    onClose();
  };
  context.openStreams.add(close);
  stream.on('end', close);
  stream.on('cancelled', close);
  stream.on('close', close);
  stream.on('error', close);
  if (call.clientId === undefined) {
    sink.send({ status: statusOf('CLIENT_ID_REQUIRED', 'x-mq-client-id header is missing') });
    close();
    return;
  }
  const clientId = call.clientId;
  context.clients.attach(clientId, sink);
  let queue = Promise.resolve();
  stream.on('data', (command) => {
    queue = queue.then(async () => {
      context.clients.touch(clientId);
      if (command.command !== 'settings' || command.settings === undefined) return;
      sink.send(await applySettings(context, clientId, command.settings));
    });
    queue = queue.catch((error: unknown) => {
      context.logger.error('rocketmq gateway: Telemetry command failed', { clientId, error: String(error) });
    });
  });
}
