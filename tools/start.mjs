#!/usr/bin/env node
// `npm start`: until the broker server app lands (the broker issue), there is nothing to run. Say what
// is built and how to use it, and exit 0 so that the set-up contract in README.md holds.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const server = join(root, 'apps', 'server', 'dist', 'main.js');
if (existsSync(server)) {
  await import(server);
} else {
  const packages = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name, 'package.json'))
    .filter(existsSync)
    .map((path) => JSON.parse(readFileSync(path, 'utf8')));
  console.log('Eddy: the broker server (apps/server) is not built yet; these libraries are ready to use:\n');
  for (const pkg of packages) console.log(`  ${pkg.name.padEnd(26)} ${pkg.description ?? ''}`);
  console.log('\nRun the tests with `npm test`; read README.md and docs/ for the plan.');
}
