// `npm start`: the whole product on loopback (see local/local-stack.ts).
// Environment: DNSBL_DATA_DIR (default .local-data; data persists across restarts),
// DNSBL_EPHEMERAL=1 (keep nothing), DNSBL_API_PORT (8080), DNSBL_DNS_PORT (5300),
// DNSBL_RBLDNSD_PORT (5301; off = no rbldnsd), DNSBL_ROUTE53_PORT (8053), DNSBL_EXPORT_PORT (8081,
// the export over HTTP for `dnsbl mirror pull`), DNSBL_CONFIG (a JSON ZoneConfig file),
// DNSBL_MAX_RRSETS (the stand-in's rrset quota; default as if raised to 10,000,000),
// DNSBL_CANARY_SECONDS (how often the canary checks the zone; default 60, 0 = off),
// DNSBL_PUBLIC_PORT (8082: the public look-up page, JSON and self-service delisting),
// DNSBL_SMTP_PORT (2525: the SMTP outbox the portal mails to, kept in <data>/outbox/),
// DNSBL_REPORT_SMTP_PORT (2526: abuse reports by mail, ARF or forwarded spam, become evidence),
// DNSBL_REPORT_TRUSTED_RELAYS (comma-separated networks passed over in reports' Received chains).
// Port 0 = any free port.
//
// Stopping: SIGINT, SIGTERM or SIGHUP, to this process or to npm (`npm start` runs
// `exec node --import tsx bin/local.ts`: no shell or tsx wrapper in between, npm forwards both
// signals to this process), stops everything in order and exits 0; a second signal is ignored,
// and a stop that hangs ends in exit 1 after STOP_TIMEOUT_MS. If the parent dies (npm killed), the
// stack stops too. Java and rbldnsd die with this process even if it is killed (SIGKILL).
import { readFileSync } from 'node:fs';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { type LocalStack, startLocalStack } from '../local/local-stack.js';

const STOP_TIMEOUT_MS = 30_000;
const env = process.env;
const port = (name: string, dflt: number) => {
  const v = env[name] ?? String(dflt);
  const n = Number(v);
  if (v === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`[local] ${name}=${v} is not a port (0-65535; 0 = any free port)`);
    process.exit(2);
  }
  return n;
};
const log = (msg: string) => console.log(`[local] ${msg}`);

/** The parent's pid as the kernel sees it now (process.ppid is read once, at start). */
function currentParent(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

let stack: LocalStack | undefined;
let stopping: string | undefined;
const aborter = new AbortController();

function shutdown(why: string): void {
  if (stopping) return;
  stopping = why;
  log(`${why}: shutting down…`);
  aborter.abort();
  setTimeout(() => {
    console.error(`[local] still stopping after ${STOP_TIMEOUT_MS / 1000} s: exiting anyway`);
    process.exit(1);
  }, STOP_TIMEOUT_MS).unref();
  // A start in progress stops what it started when it sees the abort, and rejects (below).
  if (stack) void stack.stop().then(() => process.exit(0), () => process.exit(1));
}

// Installed before anything starts, so that a signal during the start stops it too.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => shutdown(sig));
const parent = currentParent();
if (parent !== undefined) {
  setInterval(() => {
    if (currentParent() !== parent) shutdown(`the parent process (pid ${parent}) is gone`);
  }, 500).unref();
}

const rbldnsdEnv = env.DNSBL_RBLDNSD_PORT?.toLowerCase();
try {
  stack = await startLocalStack({
    cfg: env.DNSBL_CONFIG ? (JSON.parse(readFileSync(env.DNSBL_CONFIG, 'utf8')) as ZoneConfig) : undefined,
    ephemeral: env.DNSBL_EPHEMERAL === '1',
    dataDir: env.DNSBL_DATA_DIR,
    apiPort: port('DNSBL_API_PORT', 8080),
    dnsPort: port('DNSBL_DNS_PORT', 5300),
    route53Port: port('DNSBL_ROUTE53_PORT', 8053),
    rbldnsdPort: rbldnsdEnv === 'off' || rbldnsdEnv === 'none' ? false : port('DNSBL_RBLDNSD_PORT', 5301),
    exportPort: port('DNSBL_EXPORT_PORT', 8081),
    publicPort: port('DNSBL_PUBLIC_PORT', 8082),
    smtpPort: port('DNSBL_SMTP_PORT', 2525),
    reportSmtpPort: port('DNSBL_REPORT_SMTP_PORT', 2526),
    reportTrustedRelays: (env.DNSBL_REPORT_TRUSTED_RELAYS ?? '').split(',').map((t) => t.trim()).filter(Boolean),
    signal: aborter.signal,
    log,
  });
} catch (e) {
  if (stopping) process.exit(0);
  console.error(`[local] failed to start: ${(e as Error).message}`);
  process.exit(1);
}
if (stopping) {
  // The signal came as the start finished.
  await stack.stop().catch(() => undefined);
  process.exit(0);
}
const { cfg, apiUrl, dnsPort, rbldnsdPort, exportUrl } = stack;
const first = cfg.lists[0]!.name;
const mirrorFile = `/tmp/dnsbl-mirror/${cfg.zone}.combined`;
console.log(`
dnsbl-publisher is running locally (Ctrl-C to stop)
  operator API     ${apiUrl}/v1   (OpenAPI: ${apiUrl}/v1/openapi.json)
  Route 53 API     ${stack.route53Endpoint}  (stand-in; hosted zone ${stack.zoneId})
  DNS (the zone)   127.0.0.1 port ${dnsPort}, UDP and TCP
  export (HTTP)    ${exportUrl}manifest.json  (what CloudFront serves to mirrors)
  public portal    ${stack.publicUrl}/lookup   (JSON: ${stack.publicUrl}/api/lookup?ip=…; self-service delisting)
  SMTP outbox      127.0.0.1 port ${stack.smtpPort}  (every mail the portal sends, in ${stack.outbox.dir})${stack.reportSmtpPort ? `\n  abuse reports    smtp://127.0.0.1:${stack.reportSmtpPort}  (ARF or forwarded spam -> evidence for the first untrusted relay)` : ''}
  data             ${stack.dataDir}
  rbldnsd file     ${stack.exportPath}  (pulled from the export)${rbldnsdPort ? `\n  rbldnsd (mirror) 127.0.0.1 port ${rbldnsdPort}` : '\n  (no rbldnsd: install it to also serve the file as a mirror does: apt-get install -y rbldnsd)'}

Try it:
  curl -s -X POST ${apiUrl}/v1/listings -H 'content-type: application/json' \\
    -d '{"items":[{"list":"${first}","network":"192.0.2.1","reason":"spam run seen by our traps"}]}'
  dig @127.0.0.1 -p ${dnsPort} +short 1.2.0.192.${cfg.zone} A
  dig @127.0.0.1 -p ${dnsPort} +short 1.2.0.192.${cfg.zone} TXT${rbldnsdPort ? `\n  dig @127.0.0.1 -p ${rbldnsdPort} +short 1.2.0.192.${cfg.zone} TXT    # the mirror, from the rbldnsd file` : ''}
  npx dnsbl lookup 192.0.2.1 --api ${apiUrl}${stack.reportSmtpPort ? `
  curl -s -XPOST ${apiUrl}/v1/evidence -H 'content-type: application/json' \\
    -d '{"items":[{"ip":"203.0.113.50","kind":"spamtrap","observedAt":"'$(date -u +%FT%TZ)'","reporter":"trap-1"}]}'
  curl smtp://127.0.0.1:${stack.reportSmtpPort} --mail-from reporter@example.net --mail-rcpt abuse@${cfg.zone} -T test/evidence/fixtures/forwarded.eml    # names the first relay not in DNSBL_REPORT_TRUSTED_RELAYS (set it to the reporters' own MX, e.g. 2001:db8:25::/48 for this file)
  npx dnsbl report events.csv --api ${apiUrl}       # lines: ip,kind,observedAt[,reporter[,detail]]
  npx dnsbl lookup 203.0.113.50 --api ${apiUrl}     # its evidence: counts, first/last seen, reporters` : ''}
  npx dnsbl mirror pull --source ${exportUrl} --target ${mirrorFile}    # be a mirror
  open ${stack.publicUrl}/lookup?ip=192.0.2.1    # what a listed sender sees; request delisting there
  npx dnsbl requests list --api ${apiUrl}        # requests waiting for review
  npx dnsbl delist ${first} 192.0.2.1 --reason "fixed" --api ${apiUrl}
  dig @127.0.0.1 -p ${dnsPort} 2.0.0.127.${cfg.zone} A      # RFC 5782 test point
`);
