import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The tests run the BUILT `eddy-harness`, which runs the BUILT `eddy`: build both (incrementally) first.
export default function buildHarness(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const app = (name: string): string => fileURLToPath(new URL(`../../${name}`, import.meta.url));
  execFileSync(process.execPath, [tsc, '-b', app('harness'), app('server')], { stdio: 'inherit' });
}
