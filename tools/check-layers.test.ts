import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const checker = join(import.meta.dirname, 'check-layers.mjs');
let root: string;

function workspace(
  path: string,
  manifest: object,
  files: Record<string, string> = {},
  references: string[] = [],
): void {
  const dir = join(root, path);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ references: references.map((r) => ({ path: r })) }));
  const sources = { 'src/index.ts': '/** x\n * @packageDocumentation\n */\nexport {};\n', ...files };
  for (const [name, text] of Object.entries(sources)) writeFileSync(join(dir, name), text);
}

function check(): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [checker, root], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('tools/check-layers.mjs', () => {
  it('passes a tree that follows the layers', () => {
    root = mkdtempSync(join(tmpdir(), 'eddy-layers-'));
    workspace('packages/message', { name: '@eddy/message' });
    workspace(
      'packages/store',
      { name: '@eddy/store', dependencies: { '@eddy/message': '0.0.0' } },
      {
        'src/a.ts': "import { EddyError } from '@eddy/message';\n",
      },
      ['../message'],
    );
    const result = check();
    expect(result.output).toContain('follow ARCHITECTURE.md');
    expect(result.status).toBe(0);
  });

  it('reports upward dependencies, engine choices, src imports, impure pure packages and missing references', () => {
    root = mkdtempSync(join(tmpdir(), 'eddy-layers-'));
    workspace('packages/message', { name: '@eddy/message', dependencies: { '@eddy/store': '0.0.0' } }, {}, [
      '../store',
    ]);
    workspace(
      'packages/store',
      { name: '@eddy/store', dependencies: { '@eddy/message': '0.0.0' } },
      {
        'src/a.ts': "import { x } from '@eddy/message/src/x.js';\nimport { y } from '../../message/src/y.js';\n",
      },
    );
    workspace(
      'packages/routing',
      { name: '@eddy/routing', dependencies: { '@eddy/message': '0.0.0' } },
      {
        'src/b.ts': "import { readFileSync } from 'node:fs';\nsetTimeout(() => {}, 1);\n",
      },
      ['../message'],
    );
    workspace('packages/store-memory', { name: '@eddy/store-memory', dependencies: { '@eddy/store-lmdb': '0.0.0' } });
    const { status, output } = check();
    expect(status).toBe(1);
    expect(output).toContain('@eddy/message may not depend on @eddy/store (layer 1 is not below layer 0)');
    expect(output).toContain("use the package's exports map");
    expect(output).toContain('leaves the package');
    expect(output).toContain('tsconfig.json has no reference to packages/message');
    expect(output).toContain('must stay pure: no network, file or timer modules');
    expect(output).toContain('take time from an injected Clock');
    expect(output).toContain('engines never import each other');
  });

  it('ignores imports that appear only in comments', () => {
    root = mkdtempSync(join(tmpdir(), 'eddy-layers-'));
    workspace(
      'packages/message',
      { name: '@eddy/message' },
      {
        'src/c.ts': "/**\n * import { x } from '@eddy/broker';\n */\nexport const c = 1;\n",
      },
    );
    expect(check().status).toBe(0);
  });
});
