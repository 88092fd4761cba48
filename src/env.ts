/** Reading numeric knobs from the environment; a bad value stops the server with one line for the operator. */
import { ConfigurationError } from './errors.js';

/** `env[name]` as a number of at least `min`, or `fallback` when unset or empty. */
export function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    throw new ConfigurationError(`${name} must be a number >= ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}
