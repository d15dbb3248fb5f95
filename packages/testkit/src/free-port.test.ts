import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from './free-port.js';

describe('freePort', () => {
  it('gives a port a server can bind on loopback', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives distinct ports when asked for several', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
  });
});
