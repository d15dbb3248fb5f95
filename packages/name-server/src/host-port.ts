import { z } from 'zod';

/** `host` as it goes into a URL: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

// host:port, with an IPv6 literal in brackets ([::1]:9876); the port is 1..65535.
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/** A name server's address, `host:port` (RocketMQ's `namesrvAddr` entries). */
export const HostPortSchema = z
  .string()
  .regex(HOST_PORT, 'must be host:port (an IPv6 host in brackets)')
  .refine((value) => {
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'the port must be 1..65535');
