import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BenchmarkError } from './benchmark-error.js';
import { assertRequirements, findExecutable } from './peer-requirements.js';

// An empty PATH and names no machine has: the sbin directories that are always searched cannot hold them.
const emptyPath = mkdtempSync(join(tmpdir(), 'bench-path-'));
afterAll(() => rmSync(emptyPath, { recursive: true, force: true }));

const nats = { executable: 'eddy-test-no-nats-server', aptPackage: 'nats-server', neededBy: 'NATS JetStream (nats)' };
const redis = {
  executable: 'eddy-test-no-redis-server',
  aptPackage: 'redis-server',
  neededBy: 'Redis Streams (redis)',
};

describe('assertRequirements', () => {
  it('names what is missing, who needs it and the apt command that installs it', () => {
    let error: BenchmarkError | undefined;
    try {
      assertRequirements([nats, redis, nats], emptyPath);
    } catch (caught) {
      error = caught as BenchmarkError;
    }
    expect(error).toBeInstanceOf(BenchmarkError);
    expect(error?.code).toBe('PEER_NOT_INSTALLED');
    expect(error?.message).toBe(
      [
        'peers are not installed:',
        '- eddy-test-no-nats-server is not installed: NATS JetStream (nats) needs it; install it with: apt-get install -y nats-server',
        '- eddy-test-no-redis-server is not installed: Redis Streams (redis) needs it; install it with: apt-get install -y redis-server',
        'All at once (as root): apt-get update && apt-get install -y nats-server redis-server',
        'Or leave those systems out with --systems.',
      ].join('\n'),
    );
  });

  it('says so when the Python module is missing, naming the Debian package', () => {
    const requirement = {
      executable: process.execPath,
      pythonModule: 'confluent_kafka',
      aptPackage: 'python3-confluent-kafka',
      neededBy: 'the Eddy librdkafka driver (eddy-kafka)',
    };
    // node is no Python: `node -c "import …"` fails the way a Python without the module does.
    expect(() => assertRequirements([requirement])).toThrow(
      `${process.execPath} cannot import confluent_kafka: the Eddy librdkafka driver (eddy-kafka) needs it; install it with: apt-get install -y python3-confluent-kafka`,
    );
  });

  it('passes when everything is there', () => {
    expect(() =>
      assertRequirements([{ executable: process.execPath, aptPackage: 'nodejs', neededBy: 'the runner' }]),
    ).not.toThrow();
  });
});

describe('findExecutable', () => {
  it('finds an absolute path, and nothing for a name on no path', () => {
    expect(findExecutable(process.execPath)).toBe(process.execPath);
    expect(findExecutable('eddy-test-no-such-program', emptyPath)).toBeUndefined();
  });
});
