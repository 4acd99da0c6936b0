// Abuse reports by mail into the real intake on DynamoDB Local: ingestMail (the one service behind
// SES receiving and the local SMTP front end), and the AWS path in front of it: S3 event
// notifications -> GetObject -> ingestMail (lambdas/evidence/mail-notifications.ts), with an S3
// stand-in that behaves like S3 where it matters (unknown keys are NoSuchKey; the event's keys are
// URL-encoded the way S3 encodes them, so a handler that does not decode them reads nothing).
import { readFileSync } from 'node:fs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEvidencePolicy } from '../../lambdas/core/evidence-policy.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import type { ListPolicy } from '../../lambdas/evidence/intake.js';
import { ingestMail } from '../../lambdas/evidence/mail-intake.js';
import { processMailNotification } from '../../lambdas/evidence/mail-notifications.js';
import { decodeEventKey, kindOfMailKey, mailPrefixOf } from '../../lambdas/evidence/mail-objects.js';
import { CFG, type EvidenceEnv, startEvidenceEnv, T0 } from './support.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });
const trustedRelays = [net('198.51.100.25'), net('2001:db8:25::/48')];
const H = 3600;

/** One report or one trap hit lists (list "spam"); the mail's kind decides which. */
const POLICIES: ListPolicy[] = [
  {
    list: 'spam',
    policy: validateEvidencePolicy({ kinds: { spamtrap: { weight: 1 }, 'abuse-report': { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 24 }, 'lists[0].evidence', CFG.lists.map((l) => l.name)),
  },
];

/** How S3 writes a key into an event notification: form-URL-encoded (space as "+"). */
const encodeLikeS3 = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

/** An S3 stand-in: objects by exact key; GetObject of any other key fails as S3 does. */
class FakeS3 {
  readonly objects = new Map<string, Buffer>();
  readonly gets: string[] = [];
  async send(cmd: unknown): Promise<{ Body: { transformToByteArray(): Promise<Uint8Array>; transformToString(): Promise<string> } }> {
    if (!(cmd instanceof GetObjectCommand)) throw new Error('only GetObject');
    const key = cmd.input.Key!;
    this.gets.push(key);
    const body = this.objects.get(`${cmd.input.Bucket}/${key}`);
    if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: { transformToByteArray: async () => new Uint8Array(body), transformToString: async () => body.toString('utf8') } };
  }
}

function s3Event(bucket: string, keys: string[]): S3Event {
  return {
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2030-01-01T12:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: { s3SchemaVersion: '1.0', configurationId: 'x', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodeLikeS3(key), size: 1, eTag: 'e', sequencer: '1' } },
    })),
  } as unknown as S3Event;
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let env: EvidenceEnv;
beforeAll(async () => {
  env = await startEvidenceEnv();
});
afterAll(async () => {
  await env?.stop();
});

describe('ingestMail with the real intake (DynamoDB Local)', () => {
  it("an ARF report lists its Source-IP and keeps the report's event", async () => {
    // The RFC 5965 example arrived on 2005-03-08 14:00 EDT: evaluate it two hours later.
    env.clock.now = Date.parse('2005-03-08T20:00:00Z') / 1000;
    const r = await ingestMail(fixture('arf-rfc5965.eml'), env.intake({ policies: POLICIES }), { nowSeconds: env.clock.now, trustedRelays });
    expect(r).toMatchObject({ status: 'accepted', format: 'arf', ip: '192.0.2.1', eventId: 'arf:<report-42@example.com>' });
    expect(r.report?.writes).toEqual([{ list: 'spam', network: '192.0.2.1', status: 'created' }]);
    const listing = await env.table.get('spam', net('192.0.2.1'));
    expect(listing).toMatchObject({ source: 'evidence:level1', expiresAt: Date.parse('2005-03-08T18:00:00Z') / 1000 + 24 * H });
    const events = await env.store.events(net('192.0.2.1'));
    expect(events.map((e) => ({ id: e.id, kind: e.kind, reporter: e.reporter }))).toEqual([{ id: 'arf:<report-42@example.com>', kind: 'abuse-report', reporter: 'abusedesk@example.com' }]);
  });

  it('a mail naming no relay stores nothing and lists nothing', async () => {
    env.clock.now = T0;
    const raw = 'From: someone@example.org\r\nTo: abuse@bl.example.org\r\nSubject: spam!\r\nMessage-ID: <norelay@example.org>\r\n\r\nplease block them\r\n';
    const count = async () => {
      let n = 0;
      for await (const _ of env.store.scanAggregates()) n++;
      return n;
    };
    const before = await count();
    const r = await ingestMail(raw, env.intake({ policies: POLICIES }), { nowSeconds: T0, trustedRelays });
    expect(r).toEqual({ status: 'no-relay', format: 'plain', how: 'the message has no Received headers' });
    expect(await count()).toBe(before);
  });

  it('a report naming a protected address (our own relay) is kept as evidence but lists nothing', async () => {
    env.clock.now = Date.parse('2005-03-08T20:00:00Z') / 1000;
    // Without the trusted relays, our own MX (198.51.100.25, infrastructure in the support's protected set) is the first untrusted hop.
    const r = await ingestMail(fixture('arf-headers-only.eml'), env.intake({ policies: POLICIES }), { nowSeconds: env.clock.now });
    expect(r).toMatchObject({ status: 'accepted', ip: '198.51.100.25' });
    expect(r.report?.writes).toEqual([]);
    expect(r.report?.decisions).toEqual([expect.objectContaining({ list: 'spam', network: '198.51.100.25', action: 'protected' })]);
    expect(await env.table.get('spam', net('198.51.100.25'))).toBeUndefined();
    expect(await env.store.events(net('198.51.100.25'))).toHaveLength(1);
  });

  it('the same mail twice is one event (its id is the mail\'s), and the second changes nothing', async () => {
    env.clock.now = T0 + 12 * H;
    const opts = { nowSeconds: env.clock.now, trustedRelays, kind: 'spamtrap' };
    const first = await ingestMail(fixture('plain.eml'), env.intake({ policies: POLICIES }), opts);
    const second = await ingestMail(fixture('plain.eml'), env.intake({ policies: POLICIES }), opts);
    expect(first.report?.writes).toEqual([{ list: 'spam', network: '198.51.100.99', status: 'created' }]);
    expect(second).toMatchObject({ status: 'accepted', eventId: first.eventId });
    expect(second.report?.writes).toEqual([]);
    expect(await env.store.events(net('198.51.100.99'))).toHaveLength(1);
    const agg = (await env.store.aggregates([net('198.51.100.99')])).values().next().value!;
    expect(agg.counts).toEqual({ spamtrap: 1 });
  });
});

describe('S3 event notifications -> GetObject -> ingestMail', () => {
  it('decodes keys as S3 encodes them in events, and reads only mail/<kind>/ objects', () => {
    for (const key of ['mail/abuse-report/0a1b2c', 'mail/spamtrap/odd key+plus%percent', 'mail/spamtrap/ünï']) {
      expect(decodeEventKey(encodeLikeS3(key))).toBe(key);
    }
    expect(encodeLikeS3('mail/spamtrap/odd key+plus')).toBe('mail/spamtrap/odd+key%2Bplus');
    expect(kindOfMailKey('mail/spamtrap/abc')).toBe('spamtrap');
    expect(kindOfMailKey(`${mailPrefixOf('abuse-report')}abc`)).toBe('abuse-report');
    expect(kindOfMailKey('mail/abc')).toBeUndefined();
    expect(kindOfMailKey('AMAZON_SES_SETUP_NOTIFICATION')).toBeUndefined();
    expect(kindOfMailKey('mail/spamtrap/a/b')).toBeUndefined();
  });

  it('reads each notified object under its real key, ingests it with the kind its prefix names, and logs the outcome', async () => {
    env.clock.now = T0 + 12 * H;
    const s3 = new FakeS3();
    // A key with a space and a "+": the event carries "trap+hit%2B1", the object is "trap hit+1".
    s3.objects.set('mail-bucket/mail/spamtrap/trap hit+1', Buffer.from(fixture('forwarded.eml')));
    s3.objects.set('mail-bucket/mail/abuse-report/norelay', Buffer.from('From: a@example.org\r\nSubject: x\r\n\r\nhi\r\n'));
    const logged: Array<[string, Record<string, unknown> | undefined]> = [];
    const log = { info: (m: string, x?: Record<string, unknown>) => logged.push([m, x]), warn: (m: string, x?: Record<string, unknown>) => logged.push([m, x]), error: (m: string, x?: Record<string, unknown>) => logged.push([m, x]) };
    const out = await processMailNotification(s3Event('mail-bucket', ['mail/spamtrap/trap hit+1', 'mail/abuse-report/norelay', 'AMAZON_SES_SETUP_NOTIFICATION']), {
      s3,
      intake: async () => env.intake({ policies: POLICIES }),
      trustedRelays,
      nowSeconds: () => env.clock.now,
      log,
    });
    expect(s3.gets).toEqual(['mail/spamtrap/trap hit+1', 'mail/abuse-report/norelay']);
    expect(out.map((o) => o.result?.status ?? o.skipped)).toEqual(['accepted', 'no-relay', 'not under mail/<kind>/']);
    // The forwarded spam's relay, as a spam-trap hit (the prefix's kind), is listed.
    expect(out[0]!.result).toMatchObject({ ip: '2001:db8:bad::7', report: { writes: [{ list: 'spam', network: '2001:db8:bad::7', status: 'created' }] } });
    const events = await env.store.events(net('2001:db8:bad::7'));
    expect(events.map((e) => e.kind)).toEqual(['spamtrap']);
    expect(logged.map(([m]) => m)).toEqual(['mail evidence accepted', 'mail names no relay: nothing to record', 'mail object outside mail/<kind>/: ignored']);
    expect(logged[0]![1]).toMatchObject({ key: 'mail/spamtrap/trap hit+1', status: 'accepted', ip: '2001:db8:bad::7' });
  });

  it('a mail that cannot be read fails the invocation (Lambda retries it) after the others are ingested', async () => {
    env.clock.now = T0 + 12 * H;
    const s3 = new FakeS3();
    s3.objects.set('b/mail/abuse-report/good', Buffer.from(fixture('plain.eml')));
    const run = processMailNotification(s3Event('b', ['mail/abuse-report/gone', 'mail/abuse-report/good']), {
      s3,
      intake: async () => env.intake({ policies: POLICIES }),
      trustedRelays,
      nowSeconds: () => env.clock.now,
      log: quiet,
    });
    await expect(run).rejects.toThrow(/1 of 2 mail\(s\) could not be ingested: mail\/abuse-report\/gone: The specified key does not exist/);
    expect(s3.gets).toEqual(['mail/abuse-report/gone', 'mail/abuse-report/good']);
    // The good one went through: its event is stored, once (the mail id of the earlier trap hit).
    expect((await env.store.events(net('198.51.100.99'))).map((e) => e.id)).toEqual(['mail:<win-1@bulk.example>']);
  });
});
