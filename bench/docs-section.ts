import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces the `heading` section of a markdown file (from its `## ` line to the next `## ` line) with
 * `section`, or appends it when the file has no such section, so every benchmark rewrites only its own part
 * of docs/benchmarks.md.
 */
export function writeDocsSection(path: string, heading: string, section: string): void {
  const docs = readFileSync(path, 'utf8');
  const at = docs.indexOf(`\n${heading}\n`);
  let updated: string;
  if (at < 0) {
    updated = `${docs.trimEnd()}\n\n${section}`;
  } else {
    const next = docs.indexOf('\n## ', at + 1 + heading.length);
    const before = docs.slice(0, at + 1);
    const after = next < 0 ? '' : docs.slice(next + 1);
    updated = `${before}${section}${after === '' ? '' : `\n${after}`}`;
  }
  writeFileSync(path, updated);
  process.stderr.write(`wrote the section to ${path}\n`);
}
