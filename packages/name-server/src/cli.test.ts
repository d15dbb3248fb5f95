import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type CliEnvironment, main } from './cli.js';

function fakeEnvironment() {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new EventEmitter();
  let exitCode: number | undefined;
  const environment: CliEnvironment = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    signals: signals as unknown as CliEnvironment['signals'],
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  return { environment, out, err, signals, exitCode: () => exitCode };
}

describe('eddy-namesrv main', () => {
  it('starts from flags, logs one JSON line when listening, and stops on SIGTERM', async () => {
    const fake = fakeEnvironment();
    const server = await main(
      ['--port', '0', '--broker-expiry-ms', '1500', '--scan-interval-ms', '250', '--max-request-bytes', '1024'],
      fake.environment,
    );
    expect(server).toBeDefined();
    expect(fake.out).toHaveLength(1);
    const line = JSON.parse(fake.out[0] as string);
    expect(line).toMatchObject({
      level: 'info',
      message: 'listening',
      url: server?.url,
      port: server?.port,
      brokerExpiryMs: 1500,
      scanIntervalMs: 250,
    });
    const tooBig = await fetch(`${server?.url}/brokers/register`, { method: 'POST', body: 'x'.repeat(2048) });
    expect(tooBig.status).toBe(413);

    fake.signals.emit('SIGTERM', 'SIGTERM');
    await server?.close();
    expect(fake.signals.listenerCount('SIGTERM') + fake.signals.listenerCount('SIGINT')).toBe(0);
    await expect(fetch(`${server?.url}/healthz`)).rejects.toThrow();
    expect(fake.out.map((text) => JSON.parse(text).message)).toEqual(['listening', 'stopping', 'stopped']);
    expect(fake.exitCode()).toBeUndefined();
  });

  it.each([
    [['--port', 'abc'], 'invalid flags: --port: must be a whole number'],
    [['--port', '70000'], 'invalid flags: --port: Too big'],
    [['--scan-interval-ms', '0'], 'invalid flags: --scan-interval-ms: Too small'],
    [['--broker-expiry-ms=-1'], 'invalid flags: --broker-expiry-ms: must be a whole number'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['positional'], 'positional'],
  ])('refuses %j with exit code 2, naming the flag', async (argv, message) => {
    const fake = fakeEnvironment();
    expect(await main(argv, fake.environment)).toBeUndefined();
    expect(fake.exitCode()).toBe(2);
    expect(fake.err.join('')).toContain(message);
    expect(fake.err.join('')).toContain('usage: eddy-namesrv');
  });

  it('prints the usage for --help', async () => {
    const fake = fakeEnvironment();
    expect(await main(['--help'], fake.environment)).toBeUndefined();
    expect(fake.out.join('')).toContain('usage: eddy-namesrv');
    expect(fake.exitCode()).toBeUndefined();
  });

  it('sets exit code 1 when it cannot listen', async () => {
    const first = fakeEnvironment();
    const server = await main(['--port', '0'], first.environment);
    const second = fakeEnvironment();
    expect(await main(['--port', String(server?.port)], second.environment)).toBeUndefined();
    expect(second.exitCode()).toBe(1);
    expect(JSON.parse(second.out[0] as string)).toMatchObject({ level: 'error', message: /EADDRINUSE/ });
    await server?.close();
  });
});
