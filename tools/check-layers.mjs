#!/usr/bin/env node
// Enforces the layering rules of ../shared/ARCHITECTURE.md ("Packages, by layer") on package.json
// dependencies, tsconfig references and import specifiers. Exit 1 with one line per violation.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The tree to check: the repository, or a directory given as the first argument (the checker's own tests).
const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

// The table from ARCHITECTURE.md: layer, and the Eddy packages each may depend on at run time.
const LAYERS = {
  '@eddy/message': { layer: 0, may: [] },
  '@eddy/store': { layer: 1, may: ['@eddy/message'] },
  '@eddy/routing': { layer: 1, may: ['@eddy/message'], pure: true },
  '@eddy/protocol-kafka': { layer: 1, may: ['@eddy/message'], pure: true },
  '@eddy/http-json': { layer: 1, may: [] },
  '@eddy/store-conformance': { layer: 2, may: ['@eddy/store', '@eddy/message'] },
  '@eddy/store-memory': { layer: 2, may: ['@eddy/store', '@eddy/message'], engine: true },
  '@eddy/store-commitlog': { layer: 2, may: ['@eddy/store', '@eddy/message'], engine: true },
  '@eddy/store-lmdb': { layer: 2, may: ['@eddy/store', '@eddy/message'], engine: true },
  '@eddy/name-server': { layer: 2, may: ['@eddy/routing', '@eddy/http-json', '@eddy/message'] },
  '@eddy/consume': { layer: 2, may: ['@eddy/store', '@eddy/routing', '@eddy/message'] },
  '@eddy/broker': { layer: 3, may: ['@eddy/consume', '@eddy/routing', '@eddy/store', '@eddy/message'] },
  '@eddy/gateway-rocketmq': { layer: 4, may: ['@eddy/broker', '@eddy/message'] },
  '@eddy/gateway-kafka': { layer: 4, may: ['@eddy/broker', '@eddy/protocol-kafka', '@eddy/message'] },
  '@eddy/checker': { layer: 0, may: ['@eddy/message'], pure: true },
  '@eddy/cluster': { layer: 1, may: [] },
  '@eddy/workloads': { layer: 1, may: ['@eddy/checker'] },
  '@eddy/benchmark': { layer: 2, may: ['@eddy/cluster', '@eddy/workloads'] },
  '@eddy/admin-http': { layer: 4, may: ['@eddy/broker', '@eddy/http-json', '@eddy/message'] },
};
// Development-only helpers any package may use in its tests.
const DEV_ANYWHERE = new Set(['@eddy/testkit', '@eddy/store-conformance']);
const PURE_FORBIDDEN =
  /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](?:node:)?(?:net|fs|fs\/promises|dgram|http|https|http2|tls|child_process|timers|timers\/promises)['"]/;
const TIMER_CALL = /\b(?:setTimeout|setInterval|setImmediate)\s*\(/;
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

const problems = [];
const report = (where, message) => problems.push(`${where}: ${message}`);

function workspaces() {
  const found = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const dir = join(base, name);
      const manifest = join(dir, 'package.json');
      if (existsSync(manifest))
        found.push({ dir, app: group === 'apps', pkg: JSON.parse(readFileSync(manifest, 'utf8')) });
    }
  }
  return found;
}

function sourceFiles(dir) {
  const files = [];
  const walk = (current) => {
    for (const entry of readdirSync(current)) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(?:ts|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const sub of ['src', 'test', 'bench']) if (existsSync(join(dir, sub))) walk(join(dir, sub));
  return files;
}

const all = workspaces();
const names = new Set(all.map((w) => w.pkg.name));
const appNames = new Set(all.filter((w) => w.app).map((w) => w.pkg.name));

for (const { dir, app, pkg } of all) {
  const where = relative(root, dir);
  const runtime = { ...pkg.dependencies, ...pkg.peerDependencies };
  const dev = { ...pkg.devDependencies };
  const rule = LAYERS[pkg.name];
  const isTestkit = pkg.name === '@eddy/testkit';
  if (!app && !rule && !isTestkit)
    report(where, `${pkg.name} is not in the layer table (tools/check-layers.mjs, ARCHITECTURE.md)`);

  for (const dependency of Object.keys({ ...runtime, ...dev })) {
    if (appNames.has(dependency)) report(where, `depends on the app ${dependency}; nothing imports an app`);
  }
  for (const dependency of Object.keys(runtime).filter((d) => d.startsWith('@eddy/'))) {
    if (dependency === '@eddy/testkit' && !isTestkit) report(where, '@eddy/testkit must be a devDependency');
    if (app || isTestkit) continue;
    if (!rule.may.includes(dependency)) {
      const target = LAYERS[dependency];
      const why =
        target && target.layer >= rule.layer
          ? `layer ${target.layer} is not below layer ${rule.layer}`
          : 'not allowed by the table';
      report(where, `${pkg.name} may not depend on ${dependency} (${why})`);
    }
  }
  for (const dependency of Object.keys(dev).filter((d) => d.startsWith('@eddy/'))) {
    if (app || isTestkit || DEV_ANYWHERE.has(dependency) || rule.may.includes(dependency)) continue;
    if (LAYERS[dependency]?.engine && dependency !== pkg.name) continue; // tests may run against a concrete engine
    report(where, `${pkg.name} may not depend on ${dependency}, even for tests`);
  }
  if (rule?.engine) {
    for (const dependency of Object.keys(runtime)) {
      if (LAYERS[dependency]?.engine) report(where, `engines never import each other (${dependency})`);
    }
  }

  // tsconfig references mirror runtime dependencies, so `tsc -b` builds in dependency order.
  const tsconfigPath = join(dir, 'tsconfig.json');
  if (existsSync(tsconfigPath)) {
    const tsconfig = JSON.parse(readFileSync(tsconfigPath, 'utf8'));
    const referenced = new Set((tsconfig.references ?? []).map((r) => resolve(dir, r.path)));
    for (const dependency of Object.keys(runtime).filter((d) => names.has(d))) {
      const target = all.find((w) => w.pkg.name === dependency);
      if (!referenced.has(target.dir))
        report(where, `tsconfig.json has no reference to ${relative(root, target.dir)} (${dependency})`);
    }
  }

  const declared = new Set([pkg.name, ...Object.keys(runtime), ...Object.keys(dev)]);
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    // Examples in TSDoc comments are not imports.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const at = relative(root, file);
    for (const match of code.matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2];
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!target.startsWith(`${dir}/`))
          report(at, `relative import '${specifier}' leaves the package; import by package name`);
        continue;
      }
      if (!specifier.startsWith('@eddy/')) continue;
      const packageName = specifier.split('/').slice(0, 2).join('/');
      const subpath = specifier.slice(packageName.length);
      if (!declared.has(packageName)) report(at, `imports ${packageName}, which package.json does not declare`);
      if (/^\/(?:src|dist)(?:\/|$)/.test(subpath))
        report(at, `imports '${specifier}': use the package's exports map, not its files`);
      if (packageName === pkg.name && file.includes(`${dir}/src/`))
        report(at, 'imports its own package by name; use a relative import');
    }
    if (rule?.pure && file.includes(`${dir}/src/`) && !file.endsWith('.test.ts')) {
      if (PURE_FORBIDDEN.test(code)) report(at, `${pkg.name} must stay pure: no network, file or timer modules`);
      if (TIMER_CALL.test(code)) report(at, `${pkg.name} must stay pure: take time from an injected Clock, not timers`);
    }
    if (file.endsWith('/src/index.ts') && !text.includes('@packageDocumentation')) {
      report(at, 'index.ts must open with a @packageDocumentation block');
    }
  }

  if (app) {
    const sources = sourceFiles(join(dir)).filter((f) => f.includes('/src/') && !f.endsWith('.test.ts'));
    const lines = sources.reduce((sum, f) => sum + readFileSync(f, 'utf8').split('\n').length, 0);
    if (lines > 600) report(where, `app has ${lines} source lines; apps stay thin (compose packages, ~150 lines)`);
  }
}

if (problems.length > 0) {
  console.error(`Layering check failed (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`Layering check: ${all.length} workspaces follow ARCHITECTURE.md.`);
