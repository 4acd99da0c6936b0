// The local report SMTP server's replies for what the intake says (the intake itself is covered on
// DynamoDB Local in test/e2e/local-report-mail.test.ts): a failing intake is a 451 (try again), a
// listing the write routes refused is named in the 250, and a reply stays one line of at most 400
// characters whatever the report says.
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntakeReport } from '../../lambdas/evidence/intake.js';
import { type ReportSmtp, startReportSmtp } from '../../local/report-smtp.js';

const forwarded = readFileSync(new URL('./fixtures/forwarded.eml', import.meta.url), 'utf8');
let server: ReportSmtp | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function send(port: number, raw: string): Promise<{ code: number; text: string }> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const info = await t.sendMail({ envelope: { from: 'r@example.net', to: ['abuse@bl.test'] }, raw });
    const response = String(info.response ?? '');
    return { code: Number(response.slice(0, 3)), text: response };
  } catch (e) {
    const err = e as { responseCode?: number; response?: string; message: string };
    return { code: err.responseCode ?? -1, text: err.response ?? err.message };
  } finally {
    t.close();
  }
}

const report = (over: Partial<IntakeReport>): IntakeReport => ({ accepted: 1, rejected: [], decisions: [], writes: [], escalations: [], ...over });

describe('report SMTP replies', () => {
  it('a failing intake is 451 4.3.0 with the cause: the sender retries later', async () => {
    server = await startReportSmtp({ intake: { submit: () => Promise.reject(new Error('the evidence table is unreachable')) } });
    const r = await send(server.port, forwarded);
    expect(r.code).toBe(451);
    expect(r.text).toMatch(/4\.3\.0 the report could not be taken just now \(the evidence table is unreachable\); try again later/);
  });

  it('names the listing the write routes refused, and passes the trusted relays and kind to the parser', async () => {
    const seen: unknown[] = [];
    server = await startReportSmtp({
      kind: 'spam-report',
      trustedRelays: [{ family: 6, start: 0x20010db800250000n << 64n, prefix: 64 }],
      intake: {
        submit: async (items) => {
          seen.push(...items);
          return report({
            decisions: [{ list: 'spam', network: '2001:db8:bad::7', action: 'list', score: 1, reporters: 1, expiresAt: '2030-01-08T00:00:00.000Z' }],
            writes: [{ list: 'spam', network: '2001:db8:bad::7', status: 'refused', note: 'zone-quota-exceeded: the zone is full' }],
          });
        },
      },
    });
    const r = await send(server.port, forwarded);
    expect(r.code).toBe(250);
    expect(r.text).toMatch(/accepted: forwarded report about 2001:db8:bad::7 .*spam list until 2030-01-08T00:00:00Z; not written: spam 2001:db8:bad::7 refused \(zone-quota-exceeded: the zone is full\)/);
    expect(seen).toEqual([expect.objectContaining({ ip: '2001:db8:bad::7', kind: 'spam-report', reporter: 'user@example.org' })]);
  });

  it('a reply is one printable line of at most 400 characters', async () => {
    server = await startReportSmtp({ intake: { submit: async () => ({ accepted: 0, rejected: [{ index: 0, field: 'items[0]', message: `bad\r\n${'x'.repeat(2000)}` }], decisions: [], writes: [], escalations: [] }) } });
    const r = await send(server.port, forwarded);
    expect(r.code).toBe(550);
    const text = r.text.replace(/^550 /, '');
    expect(text.length).toBeLessThanOrEqual(400);
    expect(text).not.toMatch(/[\r\n]/);
    expect(text).toMatch(/^5\.7\.1 the report about 2001:db8:25::1 was refused: bad x+\.\.\.$/);
  });
});
