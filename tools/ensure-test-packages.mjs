#!/usr/bin/env node
// `npm test` runs this before vitest: the Kafka compatibility tests drive real librdkafka clients (kcat and
// confluent-kafka for Python), which come from Debian. A fresh machine does not have them, so install them
// here (`apt-get update` once, then `apt-get install -y`) and fail loudly when that is not possible: a test
// run that silently skipped them would claim compatibility it never checked.
import { execFileSync, spawnSync } from 'node:child_process';

/** What the tests need: a check that it is usable, and the Debian package that provides it. */
const NEEDED = [
  { what: 'kcat', check: ['kcat', ['-V']], debian: 'kcat' },
  {
    what: 'confluent-kafka for /usr/bin/python3',
    check: ['/usr/bin/python3', ['-c', 'import confluent_kafka']],
    debian: 'python3-confluent-kafka',
  },
];

const works = ([command, args]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

const missing = NEEDED.filter((item) => !works(item.check));
if (missing.length > 0) {
  const packages = missing.map((item) => item.debian);
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args) => {
    const [command, ...rest] = [...asRoot, ...args];
    execFileSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  console.log(`Installing the Debian packages the tests need: ${packages.join(', ')}`);
  try {
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', ...packages]);
  } catch (error) {
    console.error(
      `\nCannot install ${packages.join(', ')} (${error.message}).\n` +
        `The Kafka compatibility tests need them. Install them by hand: apt-get install -y ${packages.join(' ')}`,
    );
    process.exit(1);
  }
  const still = missing.filter((item) => !works(item.check));
  if (still.length > 0) {
    console.error(`\nInstalled, but still not usable: ${still.map((item) => item.what).join(', ')}`);
    process.exit(1);
  }
}
