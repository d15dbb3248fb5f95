import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces the `heading` section of a markdown file (from its `## ` line to the next `## ` line) with
 * `section`, or appends it when the file has no such section, so each benchmark rewrites only its own
 * part of docs/benchmarks.md (the same rule as bench/docs-section.ts). A missing file is created.
 */
export function writeDocsSection(path: string, heading: string, section: string): void {
  const docs = existsSync(path) ? readFileSync(path, 'utf8') : '';
  writeFileSync(path, replaceDocsSection(docs, heading, section));
}

/** {@link writeDocsSection} without the file: the new text of `docs`. */
export function replaceDocsSection(docs: string, heading: string, section: string): string {
  let start: number;
  if (docs.startsWith(`${heading}\n`)) start = 0;
  else {
    const at = docs.indexOf(`\n${heading}\n`);
    if (at < 0) return docs.trim() === '' ? section : `${docs.trimEnd()}\n\n${section}`;
    start = at + 1;
  }
  const next = docs.indexOf('\n## ', start + heading.length);
  const before = docs.slice(0, start);
  const after = next < 0 ? '' : docs.slice(next + 1);
  return `${before}${section}${after === '' ? '' : `\n${after}`}`;
}
