// Abuse reports by mail (ARF, RFC 5965; forwarded and redirected spam) -> evidence events. The
// fixtures are RFC 5965's complete example (appendix B) and variants of it, and forwarded spam.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { evidenceFromMail, firstUntrustedRelay, receivedFrom } from '../../lambdas/evidence/arf.js';
import { type EvidenceEnv, startEvidenceEnv, T0 } from './support.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });
const NOW = Date.parse('2030-01-01T12:00:00Z') / 1000;
const trustedRelays = [net('198.51.100.25'), net('2001:db8:25::/48')];

describe('abuse reports by mail', () => {
  it('takes an ARF report\'s Source-IP, Arrival-Date and reporter (RFC 5965 appendix B)', async () => {
    const r = await evidenceFromMail(fixture('arf-rfc5965.eml'), { nowSeconds: NOW, trustedRelays });
    expect(r).toMatchObject({ format: 'arf', feedbackType: 'abuse', how: "the report's Source-IP" });
    expect(r.event).toEqual({
      id: 'arf:<report-42@example.com>',
      ip: '192.0.2.1',
      kind: 'abuse-report',
      observedAt: Date.parse('2005-03-08T18:00:00Z') / 1000,
      reporter: 'abusedesk@example.com',
      detail: 'ARF abuse report from dns; mail.example.com; subject "Earn money"; address from the report\'s Source-IP',
    });
  });

  it('without Source-IP, walks the reported headers past trusted relays and internal hops', async () => {
    const r = await evidenceFromMail(fixture('arf-headers-only.eml'), { nowSeconds: NOW, trustedRelays });
    expect(r.how).toBe("the reported message's Received header 2");
    expect(r.event?.ip).toBe('203.0.113.77');
    // Without the trusted relay configured, our own MX would be the first untrusted relay.
    expect((await evidenceFromMail(fixture('arf-headers-only.eml'), { nowSeconds: NOW })).event?.ip).toBe('198.51.100.25');
  });

  it('takes forwarded spam (attached) and redirected spam (its own headers) to the first untrusted relay', async () => {
    const f = await evidenceFromMail(fixture('forwarded.eml'), { nowSeconds: NOW, trustedRelays });
    expect(f).toMatchObject({ format: 'forwarded', how: 'Received header 2 of the attached message' });
    expect(f.event).toMatchObject({ id: 'mail:<spam-777@spammer.example>', ip: '2001:db8:bad::7', reporter: 'user@example.org', observedAt: Date.parse('2030-01-01T09:57:59Z') / 1000 });
    const p = await evidenceFromMail(fixture('plain.eml'), { nowSeconds: NOW, trustedRelays, kind: 'spamtrap' });
    expect(p).toMatchObject({ format: 'plain' });
    expect(p.event).toMatchObject({ ip: '198.51.100.99', kind: 'spamtrap', id: 'mail:<win-1@bulk.example>', observedAt: Date.parse('2030-01-01T11:00:00Z') / 1000 });
  });

  it('says why when no relay can be found', async () => {
    const r = await evidenceFromMail('From: a@example.org\r\nSubject: hi\r\n\r\nno headers\r\n', { nowSeconds: NOW });
    expect(r).toEqual({ how: 'the message has no Received headers', format: 'plain' });
  });

  it('reads the connecting address of the common Received forms', () => {
    expect(receivedFrom('from mail.example (mail.example [192.0.2.5]) by mx; Tue, 1 Jan 2030 00:00:00 +0000')).toEqual(net('192.0.2.5'));
    expect(receivedFrom('from [192.0.2.6] (helo=x) by mx with esmtp')).toEqual(net('192.0.2.6'));
    expect(receivedFrom('from host (unknown [IPv6:2001:db8::6]) by mx')).toEqual(net('2001:db8::6'));
    expect(receivedFrom('from host (192.0.2.7) by mx')).toEqual(net('192.0.2.7'));
    expect(receivedFrom('by mx.example.org with local')).toBeUndefined();
    expect(firstUntrustedRelay(['from a ([10.0.0.1]) by b', 'from c ([192.0.2.9]) by d'], [])?.ip).toEqual(net('192.0.2.9'));
  });
});

describe('abuse reports by mail through the intake', () => {
  let env: EvidenceEnv;
  beforeAll(async () => {
    env = await startEvidenceEnv();
  });
  afterAll(async () => {
    await env?.stop();
  });
  it('a spam-trap mail lists its first untrusted relay; an ARF report naming a protected address is kept but lists nothing', async () => {
    env.clock.now = T0 + 12 * 3600;
    const intake = env.intake();
    const trap = await evidenceFromMail(fixture('plain.eml'), { nowSeconds: env.clock.now, trustedRelays, kind: 'spamtrap' });
    const r = await intake.submit([trap.event], 'ses-inbound');
    expect(r.writes).toEqual([{ list: 'spam', network: '198.51.100.99', status: 'created' }]);
    const own = await evidenceFromMail(fixture('arf-headers-only.eml'), { nowSeconds: env.clock.now, kind: 'spamtrap' });
    expect(own.event?.ip).toBe('198.51.100.25');
    const k = await intake.submit([{ ...own.event!, observedAt: env.clock.now - 60 }], 'ses-inbound');
    expect(k.accepted).toBe(1);
    expect(k.writes).toEqual([]);
    expect(k.decisions.find((d) => d.list === 'spam')).toMatchObject({ action: 'protected' });
  });
});
