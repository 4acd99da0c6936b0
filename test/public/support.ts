// A public portal on DynamoDB Local for a test file: fresh tables, the real adapters, the public
// handler and the operator API behind HTTP adapters, mail through a real SMTP outbox on loopback.
import { startTableEnv } from '../support/table-env.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DelistRequests } from '../../lambdas/adapters/delist-requests.js';
import type { ProofResolver } from '../../lambdas/adapters/dns-proof.js';
import { Journal } from '../../lambdas/adapters/journal.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { SmtpMailer } from '../../lambdas/adapters/smtp-mailer.js';
import { DnsZoneProbe } from '../../lambdas/api/dns-probe.js';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';
import { validateZoneConfig, type ZoneConfig } from '../../lambdas/core/listing.js';
import { createApiHandler } from '../../lambdas/handlers/api.js';
import { createPublicHandler } from '../../lambdas/handlers/public.js';
import { DelistService } from '../../lambdas/public/delist-service.js';
import { ClientLimiter } from '../../lambdas/public/rate-limit.js';
import { type SmtpOutbox, startSmtpOutbox } from '../../local/smtp-outbox.js';
import { type FakeDns, startFakeDns } from '../api/fake-dns.js';

export const PORTAL_CFG: ZoneConfig = validateZoneConfig({
  zone: 'bl.test',
  lookupUrl: 'http://127.0.0.1:9/lookup?ip={ip}',
  lists: [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} - see {lookupUrl}', selfDelist: 'auto' },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: '{reason}', selfDelist: 'review' },
    { name: 'dul', code: '127.0.0.10', txtTemplate: 'Dynamic {ip}', selfDelist: 'never' },
    { name: 'proof', code: '127.0.0.11', txtTemplate: '{reason}', selfDelist: 'auto', selfDelistDnsProof: true },
  ],
  ttl: 300,
  negativeTtl: 60,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@bl.test',
});

export const OPERATOR = 'arn:aws:iam::123456789012:user/alice';

export interface PortalEnv {
  publicUrl: string;
  apiUrl: string;
  doc: DynamoDBDocumentClient;
  table: ListingsTable;
  journal: Journal;
  names: { listings: string; journal: string };
  outbox: SmtpOutbox;
  dns: FakeDns;
  /** A second public handler on the same tables (e.g. other limits). */
  publicWith(over: { limiter?: ClientLimiter; trustedProxies?: number }): Promise<RunningAdapter>;
  stop(): Promise<void>;
}

export async function startPortalEnv(opts: { proof?: ProofResolver; limiter?: ClientLimiter; now?: () => Date } = {}): Promise<PortalEnv> {
  const { ddb, names, doc, table, journal } = await startTableEnv();
  const dir = await mkdtemp(join(tmpdir(), 'portal-outbox-'));
  const outbox = await startSmtpOutbox({ dir });
  const mailer = new SmtpMailer({ host: '127.0.0.1', port: outbox.port }, 'DNSBL <delist@bl.test>');
  const dns = await startFakeDns(PORTAL_CFG.zone);
  const adapters: RunningAdapter[] = [];
  const base = { url: '' };
  const delist = new DelistService({
    cfg: PORTAL_CFG,
    table,
    journal,
    requests: new DelistRequests(doc, names.journal),
    mailer,
    ...(opts.proof ? { proof: opts.proof } : {}),
    get publicBaseUrl() {
      return base.url;
    },
    ...(opts.now ? { now: opts.now } : {}),
  });
  const zoneProbe = new DnsZoneProbe({ zone: PORTAL_CFG.zone, servers: [`127.0.0.1:${dns.port}`], timeoutMs: 1000 });
  const startPublic = async (over: { limiter?: ClientLimiter; trustedProxies?: number }) => {
    const a = await startHttpAdapter(
      createPublicHandler({ cfg: PORTAL_CFG, table, delist, zoneProbe, log: { error: () => undefined }, limiter: over.limiter ?? opts.limiter ?? new ClientLimiter({ rules: {} }), ...(over.trustedProxies !== undefined ? { trustedProxies: over.trustedProxies } : {}) }),
      { identity: () => ({ userArn: 'public' }) },
    );
    adapters.push(a);
    return a;
  };
  const pub = await startPublic({});
  base.url = pub.url;
  const api = await startHttpAdapter(createApiHandler({ cfg: PORTAL_CFG, table, journal, delist, log: { error: () => undefined } }), { identity: () => ({ userArn: OPERATOR }) });
  adapters.push(api);
  return {
    publicUrl: pub.url,
    apiUrl: api.url,
    doc,
    table,
    journal,
    names,
    outbox,
    dns,
    publicWith: startPublic,
    stop: async () => {
      for (const a of adapters) await a.close();
      mailer.close();
      await outbox.close();
      await dns.stop();
      await ddb.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The newest mail to `to` that arrived after `after` mails, waiting for it up to 10 s. */
export async function mailTo(outbox: SmtpOutbox, to: string, after: number): Promise<{ subject: string; text: string; links: string[] }> {
  for (let i = 0; i < 100; i++) {
    const all = await outbox.messages();
    const m = all.slice(after).find((x) => x.to.includes(to));
    if (m) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} in the outbox`);
}
