// `dnsbl status` against the local stack (npm start's wiring): the stand-in's quota, the stream
// sync's progress and the local on-failure count reach GET /v1/status; the quota guard refuses a
// write past the stand-in's DNSBL_MAX_RRSETS.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';

const DNSBL_BIN = fileURLToPath(new URL('../../bin/dnsbl.mjs', import.meta.url));
const LIMIT = 60;

async function status(stack: LocalStack) {
  const r = await promisify(execFile)(process.execPath, [DNSBL_BIN, 'status', '--json', '--api', stack.apiUrl], { encoding: 'utf8' });
  return JSON.parse(r.stdout);
}

describe('dnsbl status on the local stack', () => {
  let stack: LocalStack;
  let saved: string | undefined;
  beforeAll(async () => {
    saved = process.env.DNSBL_MAX_RRSETS;
    process.env.DNSBL_MAX_RRSETS = String(LIMIT);
    stack = await startLocalStack({ ephemeral: true, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: false, exportPort: 0 });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    if (saved === undefined) delete process.env.DNSBL_MAX_RRSETS;
    else process.env.DNSBL_MAX_RRSETS = saved;
  });

  it('reports the zone against the stand-in\'s quota, the sync, the export and the failure count', async () => {
    const before = await status(stack);
    expect(before.rrsets).toMatchObject({ status: 'ok', limit: LIMIT });
    expect(before.streamSync).toEqual({ status: 'never' });
    expect(before.export.status).toBe('ok'); // the stack exports once at start
    expect(before.failureQueue).toEqual({ status: 'ok', messages: 0, records: 0 });
    const r = await fetch(`${stack.apiUrl}/v1/listings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ list: 'spam', network: '192.0.2.1', reason: 'status e2e' }] }),
    });
    expect(r.status).toBe(200);
    await stack.settle();
    const after = await status(stack);
    expect(after.rrsets.count).toBeGreaterThan(before.rrsets.count);
    expect(after.streamSync.status).toBe('ok');
    expect(after.streamSync.records).toBeGreaterThanOrEqual(1); // the listing (and the prefix census item with it)
    expect(after.export.serial).toBeGreaterThan(before.export.serial);
  });

  it('refuses a batch that would pass DNSBL_MAX_RRSETS, nothing written', async () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ list: 'spam', network: `198.51.100.${i + 1}`, reason: 'too many' }));
    const r = await fetch(`${stack.apiUrl}/v1/listings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect([r.status, body.error.code]).toEqual([422, 'zone-quota-exceeded']);
    expect(body.error.message).toContain(`of its ${LIMIT} rrsets`);
    const look = await fetch(`${stack.apiUrl}/v1/lookup?ip=198.51.100.1`);
    expect(JSON.stringify(await look.json())).not.toContain('too many');
  });

  it('stops `dnsbl import` at the batch that would pass the quota, saying so and how to resume', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quota-import-'));
    try {
      const file = join(dir, 'traps.txt');
      await writeFile(file, Array.from({ length: 40 }, (_, i) => `203.0.113.${i + 1}`).join('\n') + '\n');
      const r = await promisify(execFile)(process.execPath, [DNSBL_BIN, 'import', file, '--list', 'spam', '--api', stack.apiUrl], { encoding: 'utf8' }).then(
        (x) => ({ code: 0, stderr: x.stderr }),
        (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('zone-quota-exceeded');
      expect(r.stderr).toContain('resume with:');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
