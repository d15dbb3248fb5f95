import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { BenchmarkError } from './benchmark-error.js';

/** Something a driver needs on this machine, and the Debian package that provides it. */
export interface Requirement {
  /** An executable looked up on PATH (or an absolute path), or a Python module when `pythonModule` is set. */
  readonly executable: string;
  /** A module that `executable` (a Python interpreter) must import. */
  readonly pythonModule?: string;
  readonly aptPackage: string;
  /** Who needs it, for the message: `NATS JetStream`. */
  readonly neededBy: string;
}

/** The absolute path of `executable` on PATH (plus the sbin directories root has), or undefined. */
export function findExecutable(executable: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = isAbsolute(executable)
    ? [executable]
    : [...path.split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, executable));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there; next.
    }
  }
  return undefined;
}

/** Why `requirement` is not met, or undefined when it is. */
function unmet(requirement: Requirement, path: string | undefined): string | undefined {
  const found = findExecutable(requirement.executable, path);
  if (found === undefined) return `${requirement.executable} is not installed`;
  if (requirement.pythonModule === undefined) return undefined;
  const probe = spawnSync(found, ['-c', `import ${requirement.pythonModule}`], { encoding: 'utf8', timeout: 20_000 });
  return probe.status === 0 ? undefined : `${found} cannot import ${requirement.pythonModule}`;
}

/** The message of a missing peer: what is missing, who needs it, and the apt command that installs it. */
export function missingPeerMessage(missing: readonly { requirement: Requirement; reason: string }[]): string {
  const lines = missing.map(
    ({ requirement, reason }) =>
      `- ${reason}: ${requirement.neededBy} needs it; install it with: apt-get install -y ${requirement.aptPackage}`,
  );
  const packages = [...new Set(missing.map(({ requirement }) => requirement.aptPackage))].join(' ');
  return [
    `${missing.length === 1 ? 'a peer is' : 'peers are'} not installed:`,
    ...lines,
    `All at once (as root): apt-get update && apt-get install -y ${packages}`,
    'Or leave those systems out with --systems.',
  ].join('\n');
}

/**
 * Checks every requirement before anything starts; throws {@link BenchmarkError} `PEER_NOT_INSTALLED`
 * naming each missing one and the `apt-get install -y …` that provides it. `path` overrides PATH (tests).
 */
export function assertRequirements(requirements: readonly Requirement[], path?: string): void {
  const missing: { requirement: Requirement; reason: string }[] = [];
  const seen = new Set<string>();
  for (const requirement of requirements) {
    const key = `${requirement.executable}:${requirement.pythonModule ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const reason = unmet(requirement, path);
    if (reason !== undefined) missing.push({ requirement, reason });
  }
  if (missing.length > 0) throw new BenchmarkError('PEER_NOT_INSTALLED', missingPeerMessage(missing));
}
