/**
 * Signed requests to this server's S3 and admin APIs, and their errors: an S3 error document or an
 * admin JSON error becomes an ApiError naming its code; keys the server no longer takes end the
 * session. A refusal says which permission the action needed, when the caller named it.
 */
import { endSession, type Session } from './session.js';
import { queryString, signHeaders, type SignableRequest } from './signer.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The permission the refused action needs (e.g. s3:PutObject), when known. */
    readonly permission?: string,
  ) {
    super(message);
  }

  /** What to show the user. */
  describe(): string {
    if (this.code === 'AccessDenied' && this.permission) return `Access denied: this needs the ${this.permission} permission.`;
    return `${this.message}${this.code && !this.message.includes(this.code) ? ` (${this.code})` : ''}`;
  }
}

/** Codes that mean the keys themselves are no good (removed user, changed secret, disabled account). */
const REFUSED_KEYS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'InvalidClientTokenId']);

export interface ApiRequest extends SignableRequest {
  /** The permission the action needs, named in the message if it is refused. */
  permission?: string;
  signal?: AbortSignal;
}

export function urlOf(request: SignableRequest): string {
  const query = request.query && Object.keys(request.query).length > 0 ? `?${queryString(request.query)}` : '';
  return `${request.path}${query}`;
}

/** The error a failed response carries (its body read here). */
export async function errorOf(response: { status: number; statusText?: string; text(): Promise<string> }, permission?: string): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let code = '';
  let message = '';
  if (text.trimStart().startsWith('<')) {
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    code = doc.querySelector('Error > Code')?.textContent ?? '';
    message = doc.querySelector('Error > Message')?.textContent ?? '';
  } else if (text.trimStart().startsWith('{')) {
    try {
      ({ code = '', message = '' } = JSON.parse(text) as { code?: string; message?: string });
    } catch {
      // not JSON after all: the status speaks
    }
  }
  return new ApiError(response.status, code || `HTTP ${response.status}`, message || response.statusText || `HTTP ${response.status}`, permission);
}

/** Ends the session when `error` says its keys are refused; answers `error`. */
export function checkKeys(error: ApiError): ApiError {
  if (error.status === 403 && REFUSED_KEYS.has(error.code)) endSession(`The server no longer accepts these keys (${error.code}). Log in again.`);
  return error;
}

/** Sends a signed request; resolves with the response when its status is 2xx or 304, throws ApiError otherwise. */
export async function send(session: Session, request: ApiRequest): Promise<Response> {
  if (Date.now() >= session.expiresAt) {
    endSession('Your session has expired. Log in again.');
    throw new ApiError(401, 'SessionExpired', 'The session has expired.');
  }
  const headers = await signHeaders(session, request);
  const response = await fetch(urlOf(request), { method: request.method, headers, body: request.body as BodyInit | undefined, signal: request.signal, cache: 'no-store' });
  if (response.ok || response.status === 304) return response;
  throw checkKeys(await errorOf(response, request.permission));
}

/**
 * Sends a signed request with a body through XMLHttpRequest, the only browser API that reports
 * upload progress; resolves with the response headers' ETag.
 */
export async function sendWithProgress(session: Session, request: ApiRequest, onProgress: (sent: number) => void): Promise<{ etag: string }> {
  const headers = await signHeaders(session, request);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, urlOf(request));
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve({ etag: xhr.getResponseHeader('ETag') ?? '' });
      else void errorOf({ status: xhr.status, statusText: xhr.statusText, text: async () => xhr.responseText }, request.permission).then((e) => reject(checkKeys(e)));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NetworkError', 'The connection to the server failed.'));
    xhr.onabort = () => reject(new ApiError(0, 'Aborted', 'Cancelled.'));
    request.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(request.body as XMLHttpRequestBodyInit);
  });
}
