// The HTTP adapter on its own: the APIGatewayProxyEvent it builds from a real request, and the
// response it makes from a result (no DynamoDB needed).
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';

let adapter: RunningAdapter;
let last: APIGatewayProxyEvent | undefined;
beforeAll(async () => {
  adapter = await startHttpAdapter(
    async (event): Promise<APIGatewayProxyResult> => {
      last = event;
      if (event.path === '/binary') return { statusCode: 201, isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString('base64'), headers: { 'content-type': 'application/octet-stream' } };
      if (event.path === '/multi') return { statusCode: 200, body: 'ok', multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] } };
      if (event.path === '/throw') throw new Error('boom');
      return { statusCode: 200, body: JSON.stringify({ ok: true }), headers: { 'content-type': 'application/json', 'x-extra': 'yes' } };
    },
    { identity: (req) => ({ userArn: `arn:aws:iam::1:user/${String(req.headers['x-who'] ?? 'local')}` }), maxBodyBytes: 64 * 1024 },
  );
});
afterAll(async () => {
  await adapter?.close();
});

describe('HTTP adapter', () => {
  it('turns a request into a REST API proxy event', async () => {
    const r = await fetch(`${adapter.url}/v1/lookup?ip=192.0.2.1&tag=a&tag=b&empty=`, { headers: { 'X-Who': 'alice', 'X-Multi': 'one' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-extra')).toBe('yes');
    const e = last!;
    expect(e.httpMethod).toBe('GET');
    expect(e.path).toBe('/v1/lookup');
    expect(e.resource).toBe('/{proxy+}');
    expect(e.pathParameters).toEqual({ proxy: 'v1/lookup' });
    expect(e.queryStringParameters).toEqual({ ip: '192.0.2.1', tag: 'b', empty: '' });
    expect(e.multiValueQueryStringParameters).toEqual({ ip: ['192.0.2.1'], tag: ['a', 'b'], empty: [''] });
    expect(e.headers['X-Who'] ?? e.headers['x-who']).toBe('alice');
    expect(e.body).toBeNull();
    expect(e.isBase64Encoded).toBe(false);
    expect(e.requestContext.identity.userArn).toBe('arn:aws:iam::1:user/alice');
    expect(e.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(e.requestContext.stage).toBe('local');
    expect(e.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes text bodies as text and other bytes as base64', async () => {
    await fetch(`${adapter.url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}' });
    expect(last!.body).toBe('{"a":"é"}');
    expect(last!.isBase64Encoded).toBe(false);
    await fetch(`${adapter.url}/x`, { method: 'POST', body: new Uint8Array([0xff, 0x00, 0x7b]) });
    expect(last!.isBase64Encoded).toBe(true);
    expect(Buffer.from(last!.body!, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x7b]));
  });

  it('turns results back into responses: base64 bodies, multi-value headers, errors, oversized bodies', async () => {
    const bin = await fetch(`${adapter.url}/binary`);
    expect(bin.status).toBe(201);
    expect(Buffer.from(await bin.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    const multi = await fetch(`${adapter.url}/multi`);
    expect(multi.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const boom = await fetch(`${adapter.url}/throw`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    last = undefined;
    const big = await fetch(`${adapter.url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(65 * 1024) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload-too-large');
    expect(last).toBeUndefined();
  });
});
