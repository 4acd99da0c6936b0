// Benchmark: abuse reports by mail on the local stack. Forwarded spam (each from its own relay) is
// sent over SMTP to the report server (local/report-smtp.ts) by a few parallel connections; each
// mail is parsed (mailparser), stored, evaluated and, as one report lists here, written as a
// listing through the operator write routes before the server answers 250. Prints mails/s and
// the 250 latency (p50/p95/max), then the time from sending a report to the zone's DNS server
// answering its relay (dig-free: the stand-in's DNS over UDP via the API's zone probe).
//
//   npx tsx bench/report-smtp.bench.ts [--mails=200] [--connections=4] [--probes=5]
//
// Everything (DynamoDB Local, the Route 53 stand-in, the stream poller) shares the machine: the
// figures compare runs of this code, not AWS (where SES receiving and Lambda replace the server).
import nodemailer from 'nodemailer';
import { DnsZoneProbe } from '../lambdas/api/dns-probe.js';
import { parseAddress, queryName } from '../lambdas/core/ip.js';
import { DEFAULT_CONFIG, startLocalStack } from '../local/local-stack.js';
import { numberArg } from './bench-zones.js';

const MAILS = numberArg('mails', 200);
const CONNECTIONS = numberArg('connections', 4);
const PROBES = numberArg('probes', 5);

const CFG = {
  ...DEFAULT_CONFIG,
  lists: DEFAULT_CONFIG.lists.map((l) => (l.name === 'spam' ? { ...l, evidence: { kinds: { 'abuse-report': { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 168 } } : l)),
};

/** A forwarded spam whose first untrusted relay is `relay`. */
function forwarded(i: number, relay: string): string {
  const date = new Date().toUTCString();
  return [
    `From: user${i % 7}@example.org`,
    `To: abuse@${CFG.zone}`,
    `Subject: Fwd: spam ${i}`,
    `Message-ID: <fwd-${i}-${Date.now()}@example.org>`,
    `Date: ${date}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'More of this, please block.',
    '--b1',
    'Content-Type: message/rfc822',
    '',
    `Received: from bulk${i}.example ([${relay}]) by mx.example.org with SMTP id ${i}; ${date}`,
    `From: offers@bulk${i}.example`,
    'Subject: You won',
    `Message-ID: <spam-${i}-${Date.now()}@bulk.example>`,
    '',
    'Claim your prize.',
    '--b1--',
    '',
  ].join('\r\n');
}

const relayOf = (i: number) => `198.51.${100 + Math.floor(i / 250)}.${1 + (i % 250)}`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const stack = await startLocalStack({ cfg: CFG, ephemeral: true, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: false, exportPort: 0, publicPort: 0, smtpPort: 0, reportSmtpPort: 0 });
try {
  const transports = Array.from({ length: CONNECTIONS }, () => nodemailer.createTransport({ host: '127.0.0.1', port: stack.reportSmtpPort!, secure: false, ignoreTLS: true }));
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    transports.map(async (t) => {
      while (next < MAILS) {
        const i = next++;
        const s = performance.now();
        try {
          await t.sendMail({ envelope: { from: 'reporter@example.net', to: [`abuse@${CFG.zone}`] }, raw: forwarded(i, relayOf(i)) });
        } catch {
          failed++;
        }
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log(`reports by SMTP: ${MAILS} mails over ${CONNECTIONS} connections in ${seconds.toFixed(1)} s = ${(MAILS / seconds).toFixed(1)} mails/s (${failed} refused)`);
  console.log(`  250 latency (parse + store + evaluate + listing write): p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
  await stack.settle();

  // Report -> zone answer, one at a time on a settled stack.
  const probe = new DnsZoneProbe({ zone: CFG.zone, servers: [`127.0.0.1:${stack.dnsPort}`], timeoutMs: 1000 });
  const toAnswer: number[] = [];
  for (let k = 0; k < PROBES; k++) {
    const i = MAILS + k;
    const relay = relayOf(i);
    const a = parseAddress(relay);
    const name = queryName(a.family, a.start, CFG.zone);
    const s = performance.now();
    await transports[0]!.sendMail({ envelope: { from: 'reporter@example.net', to: [`abuse@${CFG.zone}`] }, raw: forwarded(i, relay) });
    for (;;) {
      if ((await probe.query(name)).status === 'listed') break;
      if (performance.now() - s > 30_000) throw new Error(`${relay} not answered within 30 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    toAnswer.push(performance.now() - s);
  }
  console.log(`report -> DNS answer: ${toAnswer.map((x) => x.toFixed(0)).join(', ')} ms (median ${pct(toAnswer, 50).toFixed(0)} ms; the local stream poller batches for 200 ms)`);
  for (const t of transports) t.close();
} finally {
  await stack.stop();
}
