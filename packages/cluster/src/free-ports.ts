import { createServer, type Server } from 'node:net';

/**
 * `count` distinct TCP ports on `host` that were free a moment ago. The OS picks each for a listener;
 * the listeners are held open together so the ports differ, then closed. Another process may still take
 * one before the caller binds it, so a caller that starts servers retries on `EADDRINUSE`.
 */
export async function freeLoopbackPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, host, exclusive: true }, resolve);
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) throw new Error(`no port was assigned on ${host}`);
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
