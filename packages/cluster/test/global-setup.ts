import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The cluster runs the BUILT server (apps/server/dist/main.js), and the orphan test runs this package's
// dist in a child process: build both (incrementally, quick when nothing changed) before any test runs.
export default function buildServer(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
  execFileSync(process.execPath, [tsc, '-b', root('apps/server'), root('packages/cluster')], { stdio: 'inherit' });
}
