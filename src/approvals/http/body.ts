// Reading a JSON request body with a size cap: only `application/json`, at most `limit` bytes, parsed once.
import type { IncomingMessage } from 'node:http';
import { apiError, type ApiResponse } from './errors.js';

/** Largest accepted request body (a decision is a word and a comment). */
export const MAX_BODY_BYTES = 64 * 1024;

export type BodyResult = { ok: true; value: unknown } | { ok: false; response: ApiResponse };

/**
 * Reads and parses the body of `request`. Refuses with 415 when it is not JSON, 413 when it is larger than `limit`
 * (by Content-Length before reading, or while reading a chunked body), 400 when it does not parse. A refused body is
 * answered with `Connection: close`, so the rest of an oversized upload is never read.
 */
export async function readJsonBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return refuse(
      415,
      'unsupported_media_type',
      `the body must be JSON: send Content-Type: application/json (got ${type ? `"${type}"` : 'none'})`,
    );
  }
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return tooLarge(limit);

  let raw: Buffer | 'too_large';
  try {
    raw = await collect(request, limit);
  } catch (error) {
    return refuse(400, 'invalid_json', `the body could not be read: ${(error as Error).message}`);
  }
  if (raw === 'too_large') return tooLarge(limit);
  const text = raw.toString('utf8');
  if (text.trim() === '') {
    return refuse(
      422,
      'invalid_request',
      'the body is empty: expected a JSON object such as {"decision": "approve", "comment": "…"}',
    );
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return refuse(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The body's bytes, or `too_large` as soon as it passes `limit`. The stream is never destroyed here (that would close
 * the socket before the 413 is sent); the excess is discarded and the response closes the connection.
 */
function collect(request: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    request.on('error', (error) => {
      if (!done) reject(error);
      done = true;
    });
    request.on('close', () => {
      if (!done) reject(new Error('the connection closed before the body ended'));
      done = true;
    });
  });
}

function tooLarge(limit: number): BodyResult {
  return refuse(
    413,
    'payload_too_large',
    `the body is larger than ${limit / 1024} KiB; a decision is {"decision": …, "comment": …}, keep the comment short`,
  );
}

function refuse(status: number, code: Parameters<typeof apiError>[1], message: string): BodyResult {
  return { ok: false, response: apiError(status, code, message, { connection: 'close' }) };
}
