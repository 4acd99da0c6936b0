// The client the portal counts against (clientOf, lambdas/public/app.ts): the address CloudFront's
// viewer-request function wrote into x-dnsbl-viewer-ip when the function is told to trust that
// header (in AWS, where the web ACL lets only CloudFront's requests through), never a client's
// X-Forwarded-For hop; without the setting (the local stack) the header means nothing.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNetwork, parseAddress } from '../../lambdas/core/ip.js';
import { clientOf, publicHandler } from '../../lambdas/public/app.js';
import type { DelistService } from '../../lambdas/public/delist-service.js';
import { ClientLimiter } from '../../lambdas/public/rate-limit.js';
import { VIEWER_IP_HEADER, viewerAddress } from '../../lambdas/public/viewer-ip.js';
import type { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { PORTAL_CFG } from './support.js';

const EDGE = '130.176.0.1';
const event = (headers: Record<string, string>, path = '/site.css'): APIGatewayProxyEvent =>
  ({ httpMethod: 'GET', path, headers, multiValueHeaders: {}, queryStringParameters: null, body: null, isBase64Encoded: false, requestContext: { requestId: 'r', identity: { sourceIp: EDGE } } }) as unknown as APIGatewayProxyEvent;

describe('clientOf with the viewer-address header', () => {
  it('is the header\'s address (canonical) when trusted, whatever X-Forwarded-For says', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.array(fc.ipV4(), { maxLength: 3 }), (viewer, spoofed) => {
        const e = event({ [VIEWER_IP_HEADER]: viewer, 'X-Forwarded-For': spoofed.join(', ') });
        expect(clientOf(e, 0, VIEWER_IP_HEADER)).toBe(formatNetwork(parseAddress(viewer)));
        expect(clientOf(e, 1, VIEWER_IP_HEADER)).toBe(formatNetwork(parseAddress(viewer)));
        // Not trusted: the connection's address (the local stack has no CloudFront).
        expect(clientOf(e, 0)).toBe(EDGE);
      }),
      { numRuns: 200 },
    );
  });

  it('falls back to the connection when the header is missing or not exactly one address', () => {
    for (const bad of ['', 'garbage', '192.0.2.1, 192.0.2.2', '192.0.2.0/24', '1'.repeat(60)]) {
      expect(viewerAddress(bad)).toBeUndefined();
      expect(clientOf(event({ [VIEWER_IP_HEADER]: bad }), 0, VIEWER_IP_HEADER)).toBe(EDGE);
    }
    expect(clientOf(event({}), 0, VIEWER_IP_HEADER)).toBe(EDGE);
  });

  it('gives each viewer its own bucket behind one CloudFront edge address, and one bucket whatever it writes elsewhere', async () => {
    const handler = publicHandler({
      cfg: PORTAL_CFG,
      table: {} as ListingsTable,
      delist: {} as DelistService,
      limiter: new ClientLimiter({ rules: { lookup: { burst: 2, perSecond: 0.001 } }, now: () => 0 }),
      clientIpHeader: VIEWER_IP_HEADER,
      log: { error: () => undefined },
    });
    const codes = async (headers: Record<string, string>, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await handler(event(headers))).statusCode);
      return out;
    };
    // One viewer, a new X-Forwarded-For each time: one bucket.
    const one: number[] = [];
    for (let i = 0; i < 3; i++) one.push(...(await codes({ [VIEWER_IP_HEADER]: '198.51.100.1', 'x-forwarded-for': `203.0.113.${i}` }, 1)));
    expect(one).toEqual([200, 200, 429]);
    // Another viewer through the same edge: its own bucket.
    expect(await codes({ [VIEWER_IP_HEADER]: '198.51.100.2' }, 2)).toEqual([200, 200]);
  });
});
