/**
 * Requests that Node's HTTP parser refuses before the S3 app sees them (the server's 'clientError').
 * A control character in a header's name or value gets the answer a handler gives for a bad header
 * value, InvalidArgument naming the header; anything else gets what Node answers by default. Either
 * way the connection is closed: after a parse error the rest of its bytes cannot be trusted.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { S3Error } from '../errors.js';
import { badHeaderName, badHeaderValue, isHeaderName } from './header-values.js';
import { errorXml, newResponseIds } from './response.js';

/** What llhttp attaches to a parse error. */
interface ParseError extends Error {
  code?: string;
  reason?: string;
  rawPacket?: Buffer;
  bytesParsed?: number;
}

const HEADER_CHARACTER_ERRORS = new Set(['HPE_INVALID_HEADER_TOKEN', 'HPE_CR_EXPECTED', 'HPE_LF_EXPECTED']);
/** Node's own answers to the parse errors that are not 400. */
const NODE_STATUS: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, ERR_HTTP_REQUEST_TIMEOUT: 408 };

/** The name of the header on the line where parsing stopped, when the packet shows a valid one. */
function headerAt(err: ParseError): string | undefined {
  if (!err.rawPacket || err.bytesParsed === undefined) return undefined;
  const lineStart = err.rawPacket.lastIndexOf('\n', err.bytesParsed - 1) + 1;
  const line = err.rawPacket.subarray(lineStart, err.bytesParsed).toString('latin1');
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
  return isHeaderName(name) ? name : undefined;
}

function headerError(err: ParseError): S3Error {
  const name = headerAt(err);
  return name === undefined ? badHeaderName() : badHeaderValue(name);
}

function s3ErrorResponse(err: S3Error): string {
  const ids = newResponseIds();
  const body = errorXml(err, ids);
  return [
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status]}`,
    'Content-Type: application/xml',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `x-amz-request-id: ${ids.requestId}`,
    `x-amz-id-2: ${ids.hostId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

export function answerClientError(err: ParseError, socket: Duplex): void {
  // As Node does: answer only when no response of an earlier request on this connection has begun.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const status = NODE_STATUS[err.code ?? ''] ?? 400;
  const response =
    HEADER_CHARACTER_ERRORS.has(err.code ?? '') && /header/i.test(err.reason ?? '')
      ? s3ErrorResponse(headerError(err))
      : `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`;
  socket.end(response, () => socket.destroy());
}
