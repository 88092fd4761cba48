/**
 * The server's log: pino, one JSON object per line on stdout (`level` by name, `time` in ISO 8601, `msg`, fields), or
 * pino-pretty's human lines when chosen (`--log-format pretty`, TESSERA_LOG_FORMAT=pretty; the default
 * on a terminal). TESSERA_LOG_LEVEL picks the least level written (default info).
 *
 * Nothing written carries a credential: presigned-URL signatures and credentials (SigV4 and SigV2
 * query parameters, and the same fields inside an Authorization header's text) are replaced with
 * REDACTED in every message and error.
 */
import { inspect } from 'node:util';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { ConfigurationError } from './errors.js';

const SECRET_FIELDS = ['X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'Signature', 'Credential', 'AWSAccessKeyId'];

/** `name` as a pattern that also matches it with any of its characters percent-encoded, as the server decodes query parameter names. */
function escapable(name: string): string {
  return [...name].map((c) => `(?:${c}|%${c.charCodeAt(0).toString(16)})`).join('');
}

// A field name starts at a boundary (so `Signature` alone does not match inside `X-Amz-Signature`);
// the value runs to the next separator of a query or header.
const SECRET_FIELD = new RegExp(`(?<![\\w-])(${SECRET_FIELDS.map(escapable).join('|')})=[^&#\\s"',;:]*`, 'gi');

export function redactSecrets(text: string): string {
  return text.replace(SECRET_FIELD, '$1=REDACTED');
}

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LogOptions {
  format?: string;
  level?: string;
  /** Where lines go (default stdout). */
  destination?: { write(line: string): void };
}

function createLogger(format: LogFormat, level: string, destination?: LogOptions['destination']): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } };
  if (format === 'json') return destination ? pino(options, destination) : pino(options);
  return pino(options, pretty({ sync: true, colorize: !destination && process.stdout.isTTY === true, ignore: 'pid,hostname', ...(destination ? { destination: destination as NodeJS.WritableStream } : {}) }));
}

let logger = createLogger('json', 'info');

/** Chooses the format and level (options win over TESSERA_LOG_FORMAT / TESSERA_LOG_LEVEL); answers the format chosen. */
export function configureLog(options: LogOptions = {}, env: NodeJS.ProcessEnv = process.env): LogFormat {
  const format = options.format ?? env.TESSERA_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new ConfigurationError(`invalid log format ${format}: expected json or pretty`);
  const level = (options.level ?? env.TESSERA_LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level)) throw new ConfigurationError(`invalid log level ${level}: expected one of ${LOG_LEVELS.join(', ')}`);
  logger = createLogger(format as LogFormat, level, options.destination);
  return format as LogFormat;
}

type Fields = Record<string, unknown>;

/**
 * Redacted, without the `tessera: ` that lines printed beside other programs' output carried, and
 * with control characters (an object key may hold any) escaped: pretty lines reach a terminal as they are.
 */
function message(text: string): string {
  const escaped = text.replace(/^tessera: /, '').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return redactSecrets(escaped);
}

/** The server's log lines; messages are redacted, fields are the caller's to keep free of secrets. */
export const log = {
  info(msg: string, fields: Fields = {}): void {
    logger.info(fields, message(msg));
  },
  warn(msg: string, fields: Fields = {}): void {
    logger.warn(fields, message(msg));
  },
  /** A failure and, when given, the error (stack and properties, as console.error would print them), redacted. */
  error(msg: string, err?: unknown, fields: Fields = {}): void {
    logger.error(err === undefined ? fields : { ...fields, err: redactSecrets(inspect(err)) }, message(msg));
  },
};
