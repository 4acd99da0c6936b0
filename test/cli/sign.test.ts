// SigV4 for execute-api: fixed credentials and time; the signature is recomputed independently
// (node:crypto, straight from the SigV4 specification) and must match.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../lambdas/cli/client.js';
import { regionFromUrl, signRequest } from '../../lambdas/cli/sign.js';

const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const DATE = new Date('2024-01-02T03:04:05Z');

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha = (data: string) => createHash('sha256').update(data).digest('hex');
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function referenceSignature(method: string, url: URL, headers: Record<string, string>, signedHeaders: string[], body: string, region: string): string {
  const canonicalUri = url.pathname.split('/').map((seg) => enc(enc(decodeURIComponent(seg)))).join('/');
  const query = [...url.searchParams].map(([k, v]) => [enc(k), enc(v)] as const).sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1));
  const canonicalQuery = query.map(([k, v]) => `${k}=${v}`).join('&');
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')]));
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${lower[h]}\n`).join('');
  const canonical = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), sha(body)].join('\n');
  const day = '20240102';
  const scope = `${day}/${region}/execute-api/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', '20240102T030405Z', scope, sha(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${CREDS.secretAccessKey}`, day), region), 'execute-api'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('SigV4 signing for execute-api', () => {
  it('takes the region from an execute-api URL', () => {
    expect(regionFromUrl(new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod'))).toBe('eu-west-1');
    expect(regionFromUrl(new URL('https://x1.execute-api.cn-north-1.amazonaws.com.cn/prod'))).toBe('cn-north-1');
    expect(regionFromUrl(new URL('https://dnsbl.example.org/'))).toBeUndefined();
  });

  it('signs a POST with the right scope, signed headers and signature', async () => {
    const url = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/listings');
    const body = JSON.stringify({ items: [{ list: 'spam', network: '192.0.2.1', reason: 'x' }] });
    const headers = await signRequest(
      { method: 'POST', url, headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, body },
      { region: 'eu-west-1', credentials: CREDS, signingDate: DATE },
    );
    const auth = headers.authorization!;
    const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
    expect(m, auth).not.toBeNull();
    expect(m![1]).toBe('AKIDEXAMPLE/20240102/eu-west-1/execute-api/aws4_request');
    const signed = m![2]!.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-type', 'host', 'idempotency-key', 'x-amz-date']));
    expect(headers['x-amz-date']).toBe('20240102T030405Z');
    expect(headers.host).toBe('abc123.execute-api.eu-west-1.amazonaws.com');
    expect(m![3]).toBe(referenceSignature('POST', url, headers, signed, body, 'eu-west-1'));
  });

  it('signs a GET with a query string, and a session token', async () => {
    const url = new URL('https://abc123.execute-api.us-east-2.amazonaws.com/prod/v1/lookup?ip=2001%3Adb8%3A%3A1&b=1');
    const headers = await signRequest(
      { method: 'GET', url, headers: { accept: 'application/json' } },
      { region: 'us-east-2', credentials: { ...CREDS, sessionToken: 'TOKEN/+=' }, signingDate: DATE },
    );
    expect(headers['x-amz-security-token']).toBe('TOKEN/+=');
    const m = /Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization!)!;
    expect(m[1]).toBe('AKIDEXAMPLE/20240102/us-east-2/execute-api/aws4_request');
    expect(m[3]).toBe(referenceSignature('GET', url, headers, m[2]!.split(';'), '', 'us-east-2'));
  });

  it('the client signs https requests (and not the local http stack)', async () => {
    const seen: Array<Record<string, string>> = [];
    const fakeFetch = (async (_url: URL, init: RequestInit) => {
      seen.push(init.headers as Record<string, string>);
      return new Response('{"zone":"bl.test","lists":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const signed = new ApiClient({ api: 'https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod', credentials: CREDS, fetch: fakeFetch });
    await signed.get('/v1/lists');
    expect(seen[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/ap-southeast-2\/execute-api\/aws4_request, /);
    expect(seen[0]!.host).toBeUndefined();
    const local = new ApiClient({ api: 'http://127.0.0.1:8080', fetch: fakeFetch });
    await local.get('/v1/lists');
    expect(seen[1]!.authorization).toBeUndefined();
  });
});
