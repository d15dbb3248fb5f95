#!/usr/bin/env node
// `npm start [-- options]`: runs `eddy start` from apps/server with the options given after the script
// (`npm start -- --data-dir /tmp/d --grpc-port 18081`). `npm start` builds everything with turbo first;
// run on its own, this script builds the server (and what it references) when it has not been built.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const server = join(root, 'apps', 'server');
const main = join(server, 'dist', 'main.js');
if (!existsSync(main)) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', server], { stdio: 'inherit' });
}
// main.js reads process.argv from index 2 on: here, the options after this script.
await import(pathToFileURL(main).href);
