/**
 * The client's configuration: aliases naming S3 endpoints and their keys, in
 * ~/.tessera/config.json (or $TESSERA_CONFIG_DIR/config.json), readable by its owner only.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';

export interface AliasConfig {
  url: string;
  accessKey: string;
  secretKey: string;
  region?: string;
}

export interface ClientConfig {
  version: 1;
  aliases: Record<string, AliasConfig>;
}

export function configDir(): string {
  return process.env.TESSERA_CONFIG_DIR || join(homedir(), '.tessera');
}

export function configPath(): string {
  return join(configDir(), 'config.json');
}

let cached: ClientConfig | undefined;

export async function loadConfig(): Promise<ClientConfig> {
  if (cached) return cached;
  const path = configPath();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (cached = { version: 1, aliases: {} });
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: Partial<ClientConfig>;
  try {
    parsed = JSON.parse(text) as Partial<ClientConfig>;
  } catch (err) {
    throw new CliError(`${path} is not valid JSON (${(err as Error).message}); fix or remove it`);
  }
  const aliases = parsed && typeof parsed.aliases === 'object' && parsed.aliases !== null ? parsed.aliases : {};
  return (cached = { version: 1, aliases });
}

/** Writes the file atomically with mode 0600 (its directory 0700). */
export async function saveConfig(config: ClientConfig): Promise<void> {
  const dir = configDir();
  const path = configPath();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  cached = config;
}

export const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export async function getAlias(name: string): Promise<AliasConfig> {
  const config = await loadConfig();
  const alias = Object.hasOwn(config.aliases, name) ? config.aliases[name] : undefined;
  if (!alias) throw new CliError(`unknown alias "${name}" (see \`tessera alias ls\`; add one with \`tessera alias set\`)`);
  return alias;
}
