// The CLI's API client: JSON over fetch, SigV4-signed for a deployed API (https), unsigned for the
// local stack (http). Requests that are safe to repeat (GET, or writes with an Idempotency-Key) are
// retried on network errors, 429, 5xx and "key in use". Errors: ApiCallError (the API answered an
// error), ApiUnreachableError (no answer after the retries), InterruptedError (the signal fired).
import { randomUUID } from 'node:crypto';
import { type Credentials, regionFromUrl, signRequest } from './sign.js';

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; message?: string; field?: string; details?: Array<{ code: string; message: string; field?: string }> } } & Record<string, unknown>,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** The API could not be reached (after the retries): connection refused, reset, DNS, timeout. */
export class ApiUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiUnreachableError';
  }
}

/** The command was interrupted (SIGINT/SIGTERM) while a request was in flight. */
export class InterruptedError extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}

export interface ClientOptions {
  readonly api: string;
  /** Sign requests (default: when the API URL is https). */
  readonly sign?: boolean;
  readonly region?: string;
  readonly credentials?: Credentials;
  readonly fetch?: typeof fetch;
  readonly retries?: number;
  readonly timeoutMs?: number;
  /**
   * Ctrl-C: once aborted, no further request or retry is sent (InterruptedError); the request in
   * flight is let finish, so its answer is known (an import then counts it).
   */
  readonly signal?: AbortSignal;
}

export interface Reply<T> {
  status: number;
  json: T;
  headers: Headers;
}

export class ApiClient {
  readonly base: URL;
  readonly region?: string;
  readonly signed: boolean;

  constructor(private readonly opts: ClientOptions) {
    this.base = new URL(opts.api.endsWith('/') ? opts.api : `${opts.api}/`);
    this.signed = opts.sign ?? this.base.protocol === 'https:';
    this.region = opts.region ?? regionFromUrl(this.base);
  }

  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const u = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  }

  async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    return (await this.request<T>('GET', this.url(path, query))).json;
  }

  /** A write; a fresh Idempotency-Key makes it safe to retry unless the caller gives one. */
  async post<T>(path: string, body: unknown, idempotencyKey: string = randomUUID()): Promise<Reply<T>> {
    return this.request<T>('POST', this.url(path), JSON.stringify(body), { 'idempotency-key': idempotencyKey });
  }

  async request<T>(method: string, url: URL, body?: string, extra: Record<string, string> = {}): Promise<Reply<T>> {
    const retries = this.opts.retries ?? 3;
    const doFetch = this.opts.fetch ?? fetch;
    for (let attempt = 0; ; attempt++) {
      let headers: Record<string, string> = { accept: 'application/json', ...extra, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
      if (this.signed) {
        if (!this.region) throw new Error(`cannot tell the AWS region from ${this.base.host}; give --region`);
        if (!this.opts.credentials) throw new Error('no AWS credentials to sign the request with');
        headers = await signRequest({ method, url, headers, ...(body !== undefined ? { body } : {}) }, { region: this.region, credentials: this.opts.credentials });
        delete headers.host; // fetch sets it (and refuses to be given it)
      }
      const interrupted = () => new InterruptedError(`interrupted${this.opts.signal?.reason instanceof Error ? ` by ${this.opts.signal.reason.message}` : ''}`);
      if (this.opts.signal?.aborted) throw interrupted();
      let res: Response;
      try {
        res = await doFetch(url, { method, headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000) });
      } catch (e) {
        if (this.opts.signal?.aborted) throw interrupted();
        if (attempt < retries) {
          await pause(attempt);
          continue;
        }
        throw new ApiUnreachableError(
          `cannot reach the API at ${this.base.origin}: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`,
        );
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        json = { error: { code: 'not-json', message: text.slice(0, 300) } };
      }
      const err = json as ApiCallError['body'];
      const retryable = res.status === 429 || res.status >= 500 || (res.status === 409 && err?.error?.code === 'idempotency-key-in-use');
      if (retryable && attempt < retries) {
        await pause(attempt);
        continue;
      }
      if (res.status >= 400 && !(res.status === 409 && Array.isArray((json as { items?: unknown }).items))) {
        const message = err?.error?.message ?? (typeof (json as { message?: unknown }).message === 'string' ? String((json as { message: string }).message) : `HTTP ${res.status}`);
        throw new ApiCallError(res.status, err ?? {}, `${res.status} ${err?.error?.code ?? ''}: ${message}`.replace(/ : /, ': '));
      }
      return { status: res.status, json: json as T, headers: res.headers };
    }
  }
}

function pause(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2)));
}
