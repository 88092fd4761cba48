/** This program's version, as its package.json names it (read once, from the package's root). */
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  // src/version.ts runs from src/ (tests) or dist/src/ (the build): the package root is one or two levels up.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tessera' && pkg.version) return pkg.version;
    } catch {
      // not here
    }
  }
  return 'unknown';
}

export const VERSION = packageVersion();
