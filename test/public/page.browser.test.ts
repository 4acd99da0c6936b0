// The portal in a real browser (Debian chromium driven by playwright-core) on the local stack, with
// axe-core run in every page (no serious or critical violation): list an address through the
// operator API, look it up on the page with the keyboard, request delisting, read the mail from the
// SMTP outbox, open the link, confirm, see the result, and dig the local zone: not listed. Then the
// same for a lockout (relisted by evidence after a self-delisting: review), a range (review, then an
// operator's approval), and a denied request; and the page in Japanese.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientLimiter } from '../../lambdas/public/rate-limit.js';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { answerSet, digBatch } from '../support/dns/dig.js';
import { requireTool } from '../support/dns/tools.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;

async function api(path: string, body: unknown) {
  const r = await fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status, await r.clone().text()).toBe(200);
  return r.json() as Promise<Record<string, any>>;
}

async function listed(ip: string): Promise<boolean> {
  const name = `${ip.split('.').reverse().join('.')}.${stack.cfg.zone}`;
  const [a, txt] = await digBatch(stack.dnsPort, [{ name, type: 'A' }, { name, type: 'TXT' }]);
  return answerSet(a!, txt!).listed;
}

/** No serious or critical axe violation on the page as it is now. */
async function accessible(page: Page): Promise<void> {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => (await (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: unknown[] }> }> } }).axe.run()));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help}`);
  expect(bad, page.url()).toEqual([]);
}

async function mailLink(to: string, after: number): Promise<{ text: string; link?: string }> {
  for (let i = 0; i < 100; i++) {
    const m = (await stack.outbox.messages()).slice(after).find((x) => x.to.includes(to));
    if (m) return { text: m.text, link: m.links.find((l) => l.includes('/delist/confirm')) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to}`);
}

/** Look the address up with the keyboard, request delisting, follow the mailed link, confirm: the result page's text. */
async function requestThroughPage(page: Page, ip: string, email: string): Promise<{ result: string; id: string }> {
  await page.goto(`${stack.publicUrl}/lookup`);
  await accessible(page);
  await page.getByLabel('IP address').fill(ip);
  await page.keyboard.press('Enter');
  await page.waitForURL(/lookup\?ip=/);
  await expect.poll(() => page.locator('[role=status]').first().textContent()).toContain('is listed');
  await accessible(page);
  const before = (await stack.outbox.messages()).length;
  await page.getByLabel('Your e-mail address').fill(email);
  await page.getByLabel('What did you fix?').fill('We closed the open relay and changed every password.');
  await page.getByRole('button', { name: 'Send confirmation mail' }).click();
  await expect.poll(() => page.locator('#sent').textContent()).toContain(email);
  await accessible(page);
  const mail = await mailLink(email, before);
  expect(mail.link, mail.text).toBeDefined();
  await page.goto(mail.link!);
  await accessible(page);
  await page.getByRole('button', { name: 'Confirm the request' }).click();
  await page.locator('#outcomes').waitFor();
  await accessible(page);
  return { result: (await page.locator('#outcomes').textContent()) ?? '', id: new URL(mail.link!).searchParams.get('id')! };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH); .ci/run installs it`);
  }
  requireTool('dig');
  stack = await startLocalStack({ ephemeral: true, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: false, exportPort: 0, publicPort: 0, smtpPort: 0, publicLimiter: new ClientLimiter({ rules: {} }) });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  // axe is injected as a script: the pages' own policy allows none.
  context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.stop();
});

describe('the public page in chromium', () => {
  it('self-service: look up, request, confirm from the mail, and the zone stops listing the address', async () => {
    await api('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.10', reason: 'spam trap hits', source: 'trap:t1' }] });
    await stack.settle();
    expect(await listed('192.0.2.10')).toBe(true);
    const page = await context.newPage();
    const { result } = await requestThroughPage(page, '192.0.2.10', 'postmaster@sender.example');
    expect(result).toContain('192.0.2.10 was removed from list "spam"');
    await stack.settle();
    expect(await listed('192.0.2.10')).toBe(false);
    // The page says so too, from the table and the live zone.
    await page.goto(`${stack.publicUrl}/lookup?ip=192.0.2.10`);
    expect(await page.locator('[role=status]').first().textContent()).toContain('is not listed');
    expect(await page.locator('#dns-answer').textContent()).toContain('not listed');
    await page.close();
  });

  it('lockout: relisted by evidence after a self-delisting, the next request goes to review and the address stays listed', async () => {
    await api('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.10', reason: 'spam trap hits again', source: 'trap:t1' }] });
    await stack.settle();
    const page = await context.newPage();
    const { result } = await requestThroughPage(page, '192.0.2.10', 'postmaster@sender.example');
    expect(result).toContain('passed to an operator for review');
    await stack.settle();
    expect(await listed('192.0.2.10')).toBe(true);
    await page.close();
  });

  it('range: review, then an operator approves; only the address stops being listed', async () => {
    await api('/v1/listings', { items: [{ list: 'spam', network: '198.51.100.0/24', reason: 'snowshoe range', source: 'feed:partner' }] });
    await stack.settle();
    const page = await context.newPage();
    await page.goto(`${stack.publicUrl}/lookup?ip=198.51.100.9`);
    expect(await page.locator('dd code').first().textContent()).toBe('198.51.100.0/24');
    const { result, id } = await requestThroughPage(page, '198.51.100.9', 'range@sender.example');
    expect(result).toContain('listed as part of a range');
    const before = (await stack.outbox.messages()).length;
    const approved = await api(`/v1/requests/${id}/approve`, {});
    expect(approved.status).toBe('approved');
    expect((await mailLink('range@sender.example', before)).text).toContain('approved');
    await stack.settle();
    expect(await listed('198.51.100.9')).toBe(false);
    expect(await listed('198.51.100.8')).toBe(true);
    await page.close();
  });

  it('denied: the requester is mailed the reason and the address stays listed', async () => {
    await api('/v1/listings', { items: [{ list: 'proxy', network: '203.0.113.9', reason: 'open proxy', source: 'trap:scan' }] });
    await stack.settle();
    const page = await context.newPage();
    const { result, id } = await requestThroughPage(page, '203.0.113.9', 'proxy@sender.example');
    expect(result).toContain('this list reviews every request');
    const before = (await stack.outbox.messages()).length;
    await api(`/v1/requests/${id}/deny`, { reason: 'The proxy on port 3128 still answers.' });
    expect((await mailLink('proxy@sender.example', before)).text).toContain('port 3128');
    await stack.settle();
    expect(await listed('203.0.113.9')).toBe(true);
    await page.close();
  });

  it('speaks Japanese to a Japanese browser, accessibly', async () => {
    const ja = await browser.newContext({ bypassCSP: true, locale: 'ja-JP' });
    const page = await ja.newPage();
    await page.goto(`${stack.publicUrl}/lookup?ip=203.0.113.9`);
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.locator('[role=status]').first().textContent()).toContain('登録されています');
    await accessible(page);
    await ja.close();
  });
});
