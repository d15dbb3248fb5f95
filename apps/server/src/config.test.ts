import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EddyError } from '@eddy/message';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, NameServerConfigSchema, ServerConfigSchema } from './config.js';

const load = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const loaded = loadConfig(ServerConfigSchema, argv, env, 'EDDY_');
  if (loaded.help) throw new Error('unexpected --help');
  return loaded.config;
};

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(EddyError.is(error, 'INVALID_CONFIG')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('loadConfig', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('server-config');
  });
  afterEach(() => temp.remove());

  it('has the documented defaults', () => {
    expect(load([])).toMatchObject({
      dataDir: './data',
      host: '127.0.0.1',
      grpcPort: 8081,
      httpPort: 8080,
      kafkaPort: 9092,
      store: 'commitlog',
      flush: 'async',
      namesrv: [],
      namesrvPort: 9876,
      brokerName: 'broker-a',
      autoCreateTopics: true,
      defaultQueueCount: 4,
    });
  });

  it('takes flags over env over file over defaults', async () => {
    const file = join(temp.path, 'eddy.yaml');
    await writeFile(file, 'grpcPort: 1001\nhttpPort: 1002\nkafkaPort: 1003\nnamesrv: [a:1, b:2]\n');
    const env = { EDDY_CONFIG: file, EDDY_GRPC_PORT: '2001', EDDY_HTTP_PORT: '2002', EDDY_AUTO_CREATE_TOPICS: 'false' };
    const config = load(['--grpc-port', '3001', '--default-queue-count', '8'], env);
    expect(config).toMatchObject({
      grpcPort: 3001,
      httpPort: 2002,
      kafkaPort: 1003,
      namesrvPort: 9876,
      namesrv: ['a:1', 'b:2'],
      autoCreateTopics: false,
      defaultQueueCount: 8,
    });
  });

  it('reads JSON files, and --config wins over EDDY_CONFIG', async () => {
    const json = join(temp.path, 'eddy.json');
    await writeFile(json, JSON.stringify({ store: 'lmdb', flush: 'sync', namesrv: 'h:9876' }));
    const config = load(['--config', json], { EDDY_CONFIG: join(temp.path, 'missing.yaml') });
    expect(config).toMatchObject({ store: 'lmdb', flush: 'sync', namesrv: ['h:9876'] });
  });

  it('names the field and where the bad value came from', async () => {
    expect(failure(() => load(['--grpc-port', '70000']))).toMatch(/^invalid config: grpcPort: .*65535.*--grpc-port/);
    expect(failure(() => load([], { EDDY_HTTP_PORT: 'eighty' }))).toMatch(/httpPort: .*number.*EDDY_HTTP_PORT/);
    expect(failure(() => load(['--store', 'rocksdb']))).toMatch(/store: .*commitlog/);
    expect(failure(() => load(['--auto-create-topics', 'yes']))).toMatch(/autoCreateTopics: .*boolean/);
    expect(failure(() => load(['--namesrv', 'nowhere']))).toMatch(/namesrv\.0: must be host:port/);
    expect(failure(() => load(['--no-such-flag']))).toMatch(/no-such-flag/);
    expect(failure(() => load(['--http-port', '8081']))).toMatch(
      /httpPort: is the same port as grpcPort \(from --http-port\)/,
    );
    expect(load(['--namesrv-port', '8080', '--namesrv', 'h:1']).namesrvPort).toBe(8080);
    const file = join(temp.path, 'bad.yaml');
    await writeFile(file, 'defaultQueueCount: 0\ngrpcport: 1\n');
    const message = failure(() => load(['--config', file]));
    expect(message).toMatch(/defaultQueueCount: .*>=1.*bad\.yaml/);
    expect(message).toMatch(/grpcport/);
    expect(failure(() => load(['--config', join(temp.path, 'missing.yaml')]))).toMatch(/cannot read .*missing\.yaml/);
    await writeFile(file, '- a\n- b\n');
    expect(failure(() => load(['--config', file]))).toMatch(/mapping/);
  });

  it('answers --help without validating anything else', () => {
    expect(loadConfig(ServerConfigSchema, ['--grpc-port', 'x', '--help'], {}, 'EDDY_')).toEqual({ help: true });
  });

  it('reads the name server command with its own env prefix', () => {
    const loaded = loadConfig(
      NameServerConfigSchema,
      ['--host', '0.0.0.0'],
      { EDDY_NAMESRV_PORT: '9000' },
      'EDDY_NAMESRV_',
    );
    expect(loaded).toMatchObject({ help: false, config: { host: '0.0.0.0', port: 9000, brokerExpiryMs: 120_000 } });
  });
});
