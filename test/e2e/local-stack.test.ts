// The local stack end to end: list through the HTTP API, see the answer in a real DNS query to the
// local zone server and from the rbldnsd file loaded by a real rbldnsd; delist and see NXDOMAIN in
// both; data survives a restart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { answerSet, digBatch } from '../support/dns/dig.js';
import { requireTool } from '../support/dns/tools.js';

async function post(stack: LocalStack, path: string, body: unknown) {
  const r = await fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function ask(port: number, names: string[]) {
  const res = await digBatch(port, names.flatMap((name) => [{ name, type: 'A' as const }, { name, type: 'TXT' as const }]));
  return names.map((_, i) => ({ ...answerSet(res[2 * i]!, res[2 * i + 1]!), rcode: res[2 * i]!.rcode }));
}

/** rbldnsd re-reads its file every 2 s: poll until it answers what the zone answers. */
async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('local stack (npm start)', () => {
  let stack: LocalStack;
  let dir: string;
  beforeAll(async () => {
    requireTool('rbldnsd');
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-stack-'));
    stack = await startLocalStack({ dataDir: dir, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const names = (zone: string) => ({
    host: `1.2.0.192.${zone}`,
    inRange: `9.100.51.198.${zone}`,
    excluded: `77.100.51.198.${zone}`,
    v6: `${'1.'.repeat(20)}0.0.0.0.8.b.d.0.1.0.0.2.${zone}`,
    testPoint: `2.0.0.127.${zone}`,
    unlisted: `1.0.0.127.${zone}`,
  });

  it('lists through the API and answers from the zone and from rbldnsd alike; delists to NXDOMAIN in both', async () => {
    const n = names(stack.cfg.zone);
    const r = await post(stack, '/v1/listings', {
      items: [
        { list: 'spam', network: '192.0.2.1', reason: 'trap hits' },
        { list: 'spam', network: '198.51.100.0/24', reason: 'snowshoe range' },
        { list: 'proxy', network: '2001:db8::/48', reason: 'open proxy' },
      ],
    });
    expect(r.status).toBe(200);
    expect((await post(stack, '/v1/exclusions', { items: [{ list: 'spam', network: '198.51.100.77', reason: 'customer mail server' }] })).status).toBe(200);
    await stack.settle();
    const all = Object.values(n);
    const zone = await ask(stack.dnsPort, all);
    expect(zone[0]).toMatchObject({ listed: true, a: ['127.0.0.2'], txt: ['Listed in spam: trap hits - see https://bl.example.org/lookup?ip=192.0.2.1'] });
    expect(zone[1]).toMatchObject({ listed: true, txt: ['Listed in spam: snowshoe range - see https://bl.example.org/lookup?ip=198.51.100.0/24'] });
    expect(zone[2]!.listed).toBe(false);
    expect(zone[3]).toMatchObject({ listed: true, a: ['127.0.0.3'], txt: ['Open proxy 2001:db8::/48: open proxy'] });
    expect(zone[4]).toMatchObject({ listed: true, a: ['127.0.0.2', '127.0.0.3'] });
    expect(zone[5]).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });
    const strip = (x: Array<{ listed: boolean; a: string[]; txt: string[] }>) => x.map(({ listed, a, txt }) => ({ listed, a, txt }));
    const mirror = await eventually(() => ask(stack.rbldnsdPort!, all), (m) => JSON.stringify(strip(m)) === JSON.stringify(strip(zone)));
    expect(strip(mirror)).toEqual(strip(zone));

    const d = await post(stack, '/v1/delistings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'cleaned up' }] });
    expect(d.status).toBe(200);
    await stack.settle();
    const [gone] = await ask(stack.dnsPort, [n.host]);
    expect(gone).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });
    const [goneMirror] = await eventually(() => ask(stack.rbldnsdPort!, [n.host]), (m) => m[0]!.rcode === 'NXDOMAIN');
    expect(goneMirror).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });
  });

  it('keeps its data across a restart', async () => {
    await stack.stop();
    stack = await startLocalStack({ dataDir: dir, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: false });
    const n = names(stack.cfg.zone);
    const [range, host] = await ask(stack.dnsPort, [n.inRange, n.host]);
    expect(range!.listed).toBe(true);
    expect(host!.listed).toBe(false);
    const lookup = (await (await fetch(`${stack.apiUrl}/v1/lookup?ip=198.51.100.9`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(lookup)).toContain('snowshoe range');
  });
});
