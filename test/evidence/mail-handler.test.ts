// The mail intake Lambda as deployed (lambdas/handlers/evidence-mail.ts), configured only by the
// environment the construct gives it: DynamoDB Local for the tables, and an S3 stand-in over HTTP
// that the real SDK talks to (path-style GetObject; unknown keys answer S3's NoSuchKey error). The
// S3 event carries keys URL-encoded as S3 writes them into notifications.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceStore } from '../../lambdas/adapters/evidence-store.js';
import { ENV } from '../../lambdas/adapters/table-schema.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import { EVIDENCE_ENV } from '../../lambdas/evidence/evidence-from-env.js';
import { MAIL_TRUSTED_RELAYS_ENV } from '../../lambdas/evidence/mail-objects.js';
import { startTableEnv, type TableEnv } from '../support/table-env.js';

const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

const CFG: ZoneConfig = {
  zone: 'bl.test',
  lists: [{ name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason}', evidence: { kinds: { spamtrap: { weight: 1 }, 'abuse-report': { weight: 1 } }, threshold: 1, windowHours: 24 * 400, holdHours: 24, evidenceTtlDays: 400 } }],
  ttl: 300,
  negativeTtl: 60,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@bl.test',
};

/** Path-style S3 GetObject over HTTP: /<bucket>/<key>, the key %-decoded as S3 does. */
function startS3(objects: Map<string, Buffer>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    const body = req.method === 'GET' ? objects.get(path) : undefined;
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'message/rfc822', 'content-length': String(body.length) });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const encodeLikeS3 = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
const event = (bucket: string, keys: string[]) =>
  ({ Records: keys.map((key) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeLikeS3(key) } } })) }) as unknown as S3Event;

let env: TableEnv<{ listings: string; journal: string; evidence: string }>;
let s3: Server;
const objects = new Map<string, Buffer>();
let handler: (e: S3Event) => Promise<Array<{ key: string; result?: { status: string; ip?: string } }>>;

beforeAll(async () => {
  env = await startTableEnv({ evidence: true });
  s3 = await startS3(objects);
  Object.assign(process.env, {
    [ENV.zoneConfig]: JSON.stringify(CFG),
    [ENV.listingsTable]: env.names.listings,
    [ENV.journalTable]: env.names.journal,
    [ENV.hostedZoneId]: 'ZLOCAL',
    [ENV.dynamodbEndpoint]: env.ddb.endpoint,
    // Nothing listens there: the quota guard finds the quota unreadable and says so (as in AWS).
    [ENV.route53Endpoint]: 'http://127.0.0.1:9',
    [ENV.s3Endpoint]: `http://127.0.0.1:${(s3.address() as AddressInfo).port}`,
    [EVIDENCE_ENV.table]: env.names.evidence,
    // Our own networks (here: where the forwarded fixture's spam came from).
    [EVIDENCE_ENV.infrastructure]: '2001:db8:bad::/48',
    [MAIL_TRUSTED_RELAYS_ENV]: '198.51.100.25,2001:db8:25::/48',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  ({ handler } = (await import('../../lambdas/handlers/evidence-mail.js')) as never);
});
afterAll(async () => {
  await new Promise((r) => s3?.close(r));
  await env?.ddb.stop();
});

describe('the mail intake Lambda from its environment', () => {
  it('reads the notified mail from S3 and lists its relay with the kind of its prefix', async () => {
    objects.set('mail-bucket/mail/spamtrap/0123 trap+1', Buffer.from(fixture('plain.eml')));
    const out = await handler(event('mail-bucket', ['mail/spamtrap/0123 trap+1']));
    expect(out.map((o) => [o.key, o.result?.status, o.result?.ip])).toEqual([['mail/spamtrap/0123 trap+1', 'accepted', '198.51.100.99']]);
    expect(await env.table.get('spam', net('198.51.100.99'))).toMatchObject({ source: 'evidence:level1' });
    const store = new EvidenceStore(env.doc, env.names.evidence, { ttlSeconds: 400 * 86_400 });
    expect((await store.events(net('198.51.100.99'))).map((e) => [e.kind, e.id])).toEqual([['spamtrap', 'mail:<win-1@bulk.example>']]);
  });

  it('keeps a report naming one of our own networks as evidence without listing it (infrastructure from the environment)', async () => {
    objects.set('mail-bucket/mail/abuse-report/fwd', Buffer.from(fixture('forwarded.eml')));
    const out = await handler(event('mail-bucket', ['mail/abuse-report/fwd']));
    expect(out[0]!.result).toMatchObject({ status: 'accepted', ip: '2001:db8:bad::7' });
    expect(await env.table.get('spam', net('2001:db8:bad::7'))).toBeUndefined();
    const store = new EvidenceStore(env.doc, env.names.evidence, { ttlSeconds: 400 * 86_400 });
    expect(await store.events(net('2001:db8:bad::7'))).toHaveLength(1);
  });

  it('fails the invocation for a mail S3 does not have, so Lambda retries it', async () => {
    await expect(handler(event('mail-bucket', ['mail/abuse-report/never-written']))).rejects.toThrow(/1 of 1 mail\(s\) could not be ingested: mail\/abuse-report\/never-written/);
  });
});
