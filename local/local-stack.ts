// The local stack behind `npm start`: the whole product on loopback, running the same handler
// code as in AWS on local stand-ins: DynamoDB Local (with its stream), the Route 53 stand-in (API +
// DNS server), the stream poller invoking the stream-sync handler as Lambda would, the operator
// API, the expiry sweeper, and the export re-run on every change: the export service writes the
// rbldnsd file, its gzip and manifest to an S3 stand-in served over HTTP (local/export-file.ts),
// and a real rbldnsd (when installed) serves the file that `dnsbl mirror pull` installs from there,
// as a mirror would.
//
// Processes: one stack per data folder (`local-stack.pid` there names the owner; a live owner means
// refuse, a dead owner's leftovers are killed). Java and rbldnsd die with this process however it
// dies (parent-death signal, see spawnBoundToParent). rbldnsd's port is advertised only once
// rbldnsd said it listens on it.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditTrail } from '../lambdas/adapters/audit-trail.js';
import { Journal } from '../lambdas/adapters/journal.js';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { PublisherState } from '../lambdas/adapters/publisher-state.js';
import { Route53Answers } from '../lambdas/adapters/route53-answers.js';
import { Route53Quota } from '../lambdas/adapters/route53-quota.js';
import { QuotaGuard } from '../lambdas/services/quota-guard.js';
import { ROUTE53_CLIENT_CONFIG, Route53Zone } from '../lambdas/adapters/route53-zone.js';
import { ZoneLock } from '../lambdas/adapters/zone-lock.js';
import { PublishedTable } from '../lambdas/adapters/published-table.js';
import { SyncIntent } from '../lambdas/adapters/sync-intent.js';
import { validateZoneConfig, type ZoneConfig } from '../lambdas/core/listing.js';
import { parseNetwork } from '../lambdas/core/ip.js';
import { startHttpAdapter } from '../lambdas/api/http-adapter.js';
import { DnsZoneProbe } from '../lambdas/api/dns-probe.js';
import { createApiHandler } from '../lambdas/handlers/api.js';
import { STREAM_BATCH_SIZE } from '../lambdas/services/zone-sync.js';
import { createStreamSyncHandler } from '../lambdas/handlers/stream-sync.js';
import { canarySummary, runCanary } from '../lambdas/services/canary.js';
import { RequestPacer } from '../lambdas/adapters/request-pacer.js';
import { readRateFromEnv } from '../lambdas/services/reconcile-pass.js';
import { LocalReconcileRunner } from './reconcile-runner.js';
import { sweepExpired } from '../lambdas/services/sweeper.js';
import {
  claimPidFile,
  ensureTables,
  isAlive,
  killAndWait,
  listProcesses,
  type PidFileClaim,
  processInfo,
  spawnBoundToParent,
  startDynamoDbLocal,
} from './dynamodb/dynamodb-local.js';
import { createStreamPoller, type StreamPoller } from './dynamodb/stream-poller.js';
import { startLocalExport } from './export-file.js';
import { startRoute53StandIn } from './route53/index.js';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DelistRequests } from '../lambdas/adapters/delist-requests.js';
import { DnsProofResolver } from '../lambdas/adapters/dns-proof.js';
import { SmtpMailer } from '../lambdas/adapters/smtp-mailer.js';
import { createPublicHandler } from '../lambdas/handlers/public.js';
import { DelistService } from '../lambdas/public/delist-service.js';
import type { ClientLimiter } from '../lambdas/public/rate-limit.js';
import { type SmtpOutbox, startSmtpOutbox } from './smtp-outbox.js';
import { type ReportSmtp, startReportSmtp } from './report-smtp.js';
import type { ApiDeps } from '../lambdas/api/deps.js';
import { EvidenceStore } from '../lambdas/adapters/evidence-store.js';
import { ProtectedSet, type ProtectedSetConfig } from '../lambdas/core/protected-set.js';
import { buildIntake, listPolicies } from '../lambdas/evidence/evidence-from-env.js';
import { evidenceRoutes } from '../lambdas/evidence/routes.js';

export const DEFAULT_CONFIG: ZoneConfig = {
  zone: 'bl.example.org',
  lists: [
    // {lookupUrl}: the local public page unless the configuration says otherwise (see startLocalStack).
    {
      name: 'spam',
      code: '127.0.0.2',
      txtTemplate: 'Listed in {list}: {reason} - see {lookupUrl}',
      selfDelist: 'auto',
      // Evidence (POST /v1/evidence): one spam-trap hit, or three abuse reports from two reporters
      // in a day, lists an address for a week after its last evidence.
      evidence: { kinds: { spamtrap: { weight: 3 }, 'abuse-report': { weight: 1 } }, threshold: 3, minReporters: 1, windowHours: 24, holdHours: 168 },
    },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: 'Open proxy {ip}: {reason}', selfDelist: 'review' },
  ],
  ttl: 300,
  negativeTtl: 60,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@example.org',
};

export interface LocalStackOptions {
  cfg?: ZoneConfig;
  /** Where data persists across restarts (default .local-data). */
  dataDir?: string;
  /** Keep nothing: a temporary folder removed on stop. */
  ephemeral?: boolean;
  /** 0 = any free port. */
  apiPort?: number;
  dnsPort?: number;
  route53Port?: number;
  /** false = do not start rbldnsd even if installed. */
  rbldnsdPort?: number | false;
  /** The export over HTTP (manifest, data, gzip) for `dnsbl mirror pull`; 0 = any free port. */
  exportPort?: number;
  /** The public portal (look-up page, JSON, self-service delisting); 0 = any free port. */
  publicPort?: number;
  /** The SMTP outbox the portal mails to (written to <dataDir>/outbox/); 0 = any free port. */
  smtpPort?: number;
  /** The SMTP server taking abuse reports by mail (when a list has an evidence policy); 0 = any free port. */
  reportSmtpPort?: number;
  /** Relays passed over in the Received chains of mailed reports (our own and the reporters' mail servers). */
  reportTrustedRelays?: readonly string[];
  /** The portal's per-client limits (default: the production defaults). */
  publicLimiter?: ClientLimiter;
  /** Resolvers for the portal's DNS proof of control ("ip:port"; default the system resolver). */
  proofDnsServers?: readonly string[];
  /** Aborts a start in progress: what was started is stopped, and the promise rejects. */
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** The expiry sweeper's period in seconds (default 30; a test of hold times runs it more often). */
  sweepSeconds?: number;
  /** What evidence never lists beyond private and reserved space: allow ranges, own infrastructure. */
  evidenceProtected?: ProtectedSetConfig;
}

/** The owner file of a data folder: one local stack per folder. */
export const STACK_PID_FILE = 'local-stack.pid';
/** How long rbldnsd may take to say it listens. */
const RBLDNSD_READY_MS = 20_000;

export interface LocalStack {
  cfg: ZoneConfig;
  apiUrl: string;
  route53Endpoint: string;
  zoneId: string;
  dnsPort: number;
  rbldnsdPort?: number;
  /** The rbldnsd file, as `dnsbl mirror pull` installed it from the export. */
  exportPath: string;
  /** The zone's export folder over HTTP: the --source of `dnsbl mirror pull`. */
  exportUrl: string;
  exportPort: number;
  dataDir: string;
  /** The public portal's base URL (the look-up page is /lookup). */
  publicUrl: string;
  publicPort: number;
  smtpPort: number;
  outbox: SmtpOutbox;
  /** The abuse-report SMTP server's port (absent: no list has an evidence policy). */
  reportSmtpPort?: number;
  poller: StreamPoller;
  /** Waits until every change so far reached the zone and the rbldnsd file. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  const given = opts.cfg ?? DEFAULT_CONFIG;
  // Checked before anything starts; the portal's address (the default {lookupUrl}) is known once it listens.
  validateZoneConfig({ ...given, lookupUrl: given.lookupUrl ?? 'http://127.0.0.1:1/lookup?ip={ip}' });
  let cfg: ZoneConfig = given;
  let publicImpl: ((e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) | undefined;
  const ephemeral = opts.ephemeral === true;
  const dataDir = ephemeral ? await mkdtemp(join(tmpdir(), 'dnsbl-local-')) : resolve(opts.dataDir ?? '.local-data');
  await mkdir(dataDir, { recursive: true });
  const stops: Array<() => Promise<void> | void> = [];
  let claim: PidFileClaim | undefined;
  const stopAll = async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    stops.length = 0;
    claim?.release();
    if (ephemeral) await rm(dataDir, { recursive: true, force: true });
  };
  const checkAborted = () => {
    if (opts.signal?.aborted) throw new Error('start interrupted');
  };
  try {
    log(`data in ${dataDir}${ephemeral ? ' (ephemeral)' : ''}`);
    if (!ephemeral) {
      claim = claimPidFile(join(dataDir, STACK_PID_FILE), `the data folder ${dataDir}`);
      await killLeftovers(dataDir, claim, log);
    }
    // The public portal listens first (after the data folder is ours): its address is the default
    // {lookupUrl} of the TXT templates.
    const portal = await startHttpAdapter((e) => (publicImpl ? publicImpl(e) : Promise.resolve({ statusCode: 503, body: 'starting' })), {
      port: opts.publicPort ?? 0,
      identity: () => ({ userArn: 'public', caller: 'public' }),
      maxBodyBytes: 64 * 1024,
    }).catch((e: Error) => {
      throw new Error(`the public portal could not listen on 127.0.0.1 port ${opts.publicPort ?? 0} (${e.message}): set DNSBL_PUBLIC_PORT to a free port (0 = any free port)`);
    });
    stops.push(() => portal.close());
    cfg = validateZoneConfig({ ...given, lookupUrl: given.lookupUrl ?? `${portal.url}/lookup?ip={ip}` });
    const ddb = await startDynamoDbLocal(ephemeral ? {} : { dataDir: join(dataDir, 'dynamodb'), log });
    stops.push(() => ddb.stop());
    checkAborted();
    const tables = { listings: 'listings', journal: 'journal', published: 'published', evidence: 'evidence' };
    await ensureTables(ddb.client, tables);
    const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });

    const r53 = await startRoute53StandIn({
      apiPort: opts.route53Port ?? 0,
      dnsPort: opts.dnsPort ?? 0,
      dataFile: ephemeral ? undefined : join(dataDir, 'route53.json'),
      // As if the 10,000-rrset quota had been raised (a support case in AWS): local imports of
      // thousands of listings should work. Override with DNSBL_MAX_RRSETS to see the quota bite.
      maxRRSetsPerZone: Number(process.env.DNSBL_MAX_RRSETS ?? 10_000_000),
    });
    stops.push(() => r53.close());
    checkAborted();
    const route53 = new Route53Client({ endpoint: r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, ...ROUTE53_CLIENT_CONFIG });
    const found = await route53.send(new ListHostedZonesByNameCommand({ DNSName: cfg.zone, MaxItems: 1 }));
    const existing = found.HostedZones?.find((z) => z.Name === `${cfg.zone}.`);
    const zoneId = existing?.Id ? existing.Id.replace('/hostedzone/', '') : await r53.createZone(cfg.zone);

    const table = new ListingsTable(doc, tables.listings);
    const journal = new Journal(doc, tables.journal);
    const zone = new Route53Zone(route53, zoneId, cfg.zone);
    const nowSeconds = () => Date.now() / 1000;
    // As after a deploy: make the zone agree with the table (test points, anything missed while down).
    const published = new PublishedTable(doc, tables.published);
    const intent = new SyncIntent(doc, tables.journal, cfg.zone);
    // The sliced pass, as the Step Functions workflow runs it in AWS (local/reconcile-runner.ts).
    const reconciler = new LocalReconcileRunner(
      { cfg, table, published, intent, zone: new Route53Zone(route53, zoneId, cfg.zone, { readPacer: new RequestPacer(readRateFromEnv(process.env)) }), nowSeconds, warn: (m) => log(m), lock: () => new ZoneLock(doc, tables.journal, cfg.zone), recordPass: (r) => new PublisherState(journal, cfg.zone).recordPass(r) },
      { log },
    );
    stops.push(() => reconciler.idle());
    const rec = await reconciler.run({ dryRun: false });
    log(`zone ${cfg.zone} (${zoneId}) reconciled: ${rec.listings} listings, ${rec.slices} slices, drift repaired ${rec.repaired}`);

    // The export over HTTP, re-run (debounced) after changes; the rbldnsd file pulled from it.
    const exportPath = join(dataDir, 'rbldnsd', `${cfg.zone}.combined`);
    const exporter = await startLocalExport({
      cfg,
      doc,
      table,
      journalTable: tables.journal,
      directory: join(dataDir, 'export-s3'),
      port: opts.exportPort ?? 0,
      target: exportPath,
    });
    stops.push(() => exporter.stop());
    let exportTimer: NodeJS.Timeout | undefined;
    let exporting: Promise<unknown> = Promise.resolve();
    const exportNow = () => exporter.publish();
    const scheduleExport = async () => {
      if (exportTimer) return;
      exportTimer = setTimeout(() => {
        exportTimer = undefined;
        exporting = exportNow().catch((e) => log(`export failed: ${String(e)}`));
      }, 1000);
    };
    stops.push(() => exportTimer && clearTimeout(exportTimer));
    await exportNow();
    checkAborted();

    const progress = new PublisherState(journal, cfg.zone);
    const handler = createStreamSyncHandler({ cfg, table, published, intent, zone, nowSeconds, lock: new ZoneLock(doc, tables.journal, cfg.zone), afterSync: scheduleExport, progress });
    // The local on-failure destination is the log; `dnsbl status` reads this count of what went there.
    const failed = { messages: 0, records: 0 };
    const poller = createStreamPoller({
      endpoint: ddb.endpoint,
      tableName: tables.listings,
      batchSize: STREAM_BATCH_SIZE,
      maximumBatchingWindowMs: 200,
      startingPosition: 'TRIM_HORIZON',
      checkpointFile: ephemeral ? undefined : join(dataDir, 'stream-checkpoint.json'),
      handler: (e) => handler(e, { getRemainingTimeInMillis: () => 300_000 }),
      onFailure: async (info) => {
        failed.messages++;
        failed.records += info.records.length;
        log(`stream records sent to the on-failure destination: ${info.records.length} (${info.error})`);
      },
    });
    await poller.start();
    stops.push(() => poller.stop());

    // Expiry sweeper every 30 s (every minute in AWS).
    const sweeper = setInterval(() => {
      sweepExpired({ table, journal, nowSeconds }).catch((e) => log(`sweeper failed: ${String(e)}`));
    }, (opts.sweepSeconds ?? 30) * 1000);
    stops.push(() => clearInterval(sweeper));

    // The canary every DNSBL_CANARY_SECONDS (default 60, 0 = off; every 5 minutes in AWS): TestDNSAnswer
    // on the stand-in against the table. Changes settle within 60 s here (the sweeper runs every 30 s).
    const canaryEvery = Number(process.env.DNSBL_CANARY_SECONDS ?? 60);
    const canaryDeps = { cfg, table, audit: new AuditTrail(doc, tables.journal), answers: new Route53Answers(route53, zoneId), nowSeconds };
    if (canaryEvery > 0) {
      const canary = setInterval(() => {
        runCanary(canaryDeps, { settleSeconds: 60 }).then((r) => log(`canary: ${canarySummary(r)}`), (e) => log(`canary failed: ${String(e)}`));
      }, canaryEvery * 1000);
      stops.push(() => clearInterval(canary));
    }

    const mailerRef: { send: SmtpMailer['send'] | undefined } = { send: undefined };
    const delist = new DelistService({
      cfg,
      table,
      journal,
      requests: new DelistRequests(doc, tables.journal),
      mailer: { send: (m) => (mailerRef.send ? mailerRef.send(m) : Promise.reject(new Error('the outbox is not running'))) },
      proof: new DnsProofResolver(opts.proofDnsServers),
      publicBaseUrl: portal.url,
    });
    // Evidence for the lists with an evidence policy (one table; lookup, history and the portal read it).
    const withEvidence = listPolicies(cfg).length > 0;
    // Read by lookup, history and the portal (the intake keeps its own writer over the same table).
    const evidenceStore = withEvidence ? new EvidenceStore(doc, tables.evidence, { ttlSeconds: 0 }) : undefined;
    const apiDeps: ApiDeps = {
      ...(evidenceStore ? { evidence: evidenceStore } : {}),
      delist,
      cfg,
      table,
      journal,
      zoneProbe: new DnsZoneProbe({ zone: cfg.zone, servers: [`127.0.0.1:${r53.dnsPort}`] }),
      quotaGuard: new QuotaGuard(new Route53Quota(route53, zoneId)),
      reconcile: reconciler,
      status: { quota: new Route53Quota(route53, zoneId), failureQueue: { depth: async () => ({ ...failed }) } },
    };
    // Evidence intake for the lists with an evidence policy: its listings are written through the
    // API's own write routes (apiListingWriter), so they are validated, guarded and audited alike.
    const built = withEvidence
      ? buildIntake({ cfg, doc, journalTable: tables.journal, table, apiDeps, evidenceTable: tables.evidence, protectedSet: ProtectedSet.build(opts.evidenceProtected ?? {}) })
      : undefined;
    const intake = built?.intake;
    const evidence = built && evidenceRoutes({ cfg, policies: built.policies, intake: built.intake });
    // Abuse reports by mail: the same mail intake as SES receiving, behind a real SMTP server.
    let reportSmtp: ReportSmtp | undefined;
    if (intake) {
      const trustedRelays = (opts.reportTrustedRelays ?? []).map((t) => parseNetwork(t, { field: 'reportTrustedRelays', maxWidth4: 0, maxWidth6: 0 }));
      reportSmtp = await startReportSmtp({ intake, port: opts.reportSmtpPort ?? 0, trustedRelays, log }).catch((e: Error) => {
        throw new Error(`the abuse-report SMTP server could not listen on 127.0.0.1 port ${opts.reportSmtpPort ?? 0} (${e.message}): set DNSBL_REPORT_SMTP_PORT to a free port (0 = any free port)`);
      });
      stops.push(() => reportSmtp!.close());
    }
    // An operator's delisting re-evaluates the escalations around it.
    const api = await startHttpAdapter(
      createApiHandler({ ...apiDeps, ...(evidence && intake ? { evidenceRoutes: evidence, onDelisted: (removed, caller) => intake.afterDelisting(removed, caller) } : {}) }),
      { port: opts.apiPort ?? 0 },
    );
    stops.push(() => api.close());
    checkAborted();

    // The portal's mail goes to a real SMTP server on loopback that keeps it in <dataDir>/outbox.
    const outbox = await startSmtpOutbox({ dir: join(dataDir, 'outbox'), port: opts.smtpPort ?? 0, log }).catch((e: Error) => {
      throw new Error(`the SMTP outbox could not listen on 127.0.0.1 port ${opts.smtpPort ?? 0} (${e.message}): set DNSBL_SMTP_PORT to a free port (0 = any free port)`);
    });
    stops.push(() => outbox.close());
    const mailer = new SmtpMailer({ host: '127.0.0.1', port: outbox.port }, 'DNSBL delisting <delist@localhost>');
    mailerRef.send = (m) => mailer.send(m);
    stops.push(() => mailer.close());
    publicImpl = createPublicHandler({
      cfg,
      table,
      zoneProbe: new DnsZoneProbe({ zone: cfg.zone, servers: [`127.0.0.1:${r53.dnsPort}`] }),
      delist,
      ...(evidenceStore ? { evidence: evidenceStore } : {}),
      ...(opts.publicLimiter ? { limiter: opts.publicLimiter } : {}),
    });
    checkAborted();

    // A real rbldnsd serving the pulled file, if installed: mirrors answer like the zone.
    let rbldnsdPort: number | undefined;
    const rbldnsd = ['/usr/sbin/rbldnsd', '/usr/bin/rbldnsd'].find((p) => existsSync(p));
    if (rbldnsd && opts.rbldnsdPort !== false) {
      const port = opts.rbldnsdPort || (await freeUdpPort());
      spawnSync('chmod', ['-R', 'a+rX', join(dataDir, 'rbldnsd')]);
      spawnSync('chmod', ['a+x', dataDir]);
      const child = await startRbldnsd(rbldnsd, port, join(dataDir, 'rbldnsd'), cfg.zone, log, stops);
      claim?.update({ rbldnsd: { pid: child.pid, start: processInfo(child.pid!)?.start ?? '' } });
      rbldnsdPort = port;
    }

    return {
      cfg,
      apiUrl: api.url,
      route53Endpoint: r53.endpoint,
      zoneId,
      dnsPort: r53.dnsPort,
      rbldnsdPort,
      exportPath,
      exportUrl: exporter.url,
      exportPort: exporter.port,
      dataDir,
      publicUrl: portal.url,
      publicPort: portal.port,
      smtpPort: outbox.port,
      outbox,
      ...(reportSmtp ? { reportSmtpPort: reportSmtp.port } : {}),
      poller,
      async settle() {
        await poller.idle();
        if (exportTimer) {
          clearTimeout(exportTimer);
          exportTimer = undefined;
        }
        await exporting;
        await exportNow();
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * Starts rbldnsd and resolves once it says it listens ("… started"), so that its port is never
 * advertised when it could not bind it; rejects with the reason (e.g. the port is taken) otherwise.
 * rbldnsd runs through a relaying shell bound to this process (see spawnBoundToParent).
 */
async function startRbldnsd(
  bin: string,
  port: number,
  folder: string,
  zone: string,
  log: (msg: string) => void,
  stops: Array<() => Promise<void> | void>,
): Promise<ChildProcess> {
  const child = spawnBoundToParent(bin, ['-n', '-c', '2', '-b', `127.0.0.1/${port}`, '-w', folder, `${zone}:combined:${zone}.combined`], {
    viaShell: true,
    // rbldnsd -n logs progress on stdout and errors on stderr.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  stops.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  });
  const lines: string[] = [];
  let onLine: (line: string) => void = () => undefined;
  const partial = { out: '', err: '' };
  const collect = (which: 'out' | 'err') => (d: Buffer) => {
    const parts = (partial[which] + d.toString()).split('\n');
    partial[which] = parts.pop()!;
    for (const line of parts.map((l) => l.trim()).filter(Boolean)) {
      lines.push(line);
      log(line.startsWith('rbldnsd:') ? line : `rbldnsd: ${line}`);
      onLine(line);
    }
  };
  child.stdout!.on('data', collect('out'));
  child.stderr!.on('data', collect('err'));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => fail(`rbldnsd did not say it listens on 127.0.0.1/${port} within ${RBLDNSD_READY_MS / 1000} s`), RBLDNSD_READY_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      rej(new Error(why));
    };
    onLine = (line) => {
      if (/ started \(/.test(line)) {
        clearTimeout(timer);
        res();
      }
    };
    child.once('error', (e) => fail(`rbldnsd did not start: ${e.message}`));
    // 'close', not 'exit': the last output lines may arrive after the exit.
    child.once('close', (code, signal) => {
      const bind = lines.find((l) => /unable to bind/.test(l));
      fail(
        bind
          ? `rbldnsd could not listen on 127.0.0.1 port ${port} (${bind.replace(/^.*unable to bind to [^:]*: /, '')}): ` +
              'set DNSBL_RBLDNSD_PORT to a free port (0 = any free port, off = no rbldnsd)'
          : `rbldnsd exited (${signal ?? `code ${code}`}) before it was ready: ${lines.slice(-3).join(' | ') || 'no output'}`,
      );
    });
  });
  return child;
}

/**
 * Before starting on a data folder whose previous owner died without cleaning up: kill the rbldnsd
 * it recorded, and any orphaned rbldnsd (parent gone) serving this folder or an ephemeral stack's.
 * (An orphaned DynamoDB Local on the folder is dealt with by startDynamoDbLocal.)
 */
async function killLeftovers(dataDir: string, claim: PidFileClaim, log: (msg: string) => void): Promise<void> {
  const recorded = claim.previous?.rbldnsd as { pid?: number; start?: string } | undefined;
  if (recorded?.pid && recorded.start !== undefined && isAlive(recorded.pid, recorded.start)) {
    log(`stopping rbldnsd pid ${recorded.pid} left running by pid ${claim.previous!.pid}, which is gone`);
    await killAndWait(recorded.pid, recorded.start);
  }
  const ours = (folder: string | undefined) =>
    folder !== undefined && (folder === join(dataDir, 'rbldnsd') || (folder.startsWith(tmpdir()) && /^dnsbl-local-/.test(basename(resolve(folder, '..')))));
  for (const p of listProcesses()) {
    if (basename(p.args[0] ?? '') !== 'rbldnsd') continue;
    const orphan = p.ppid <= 1 || processInfo(p.ppid) === undefined;
    if (!orphan || !ours(p.args[p.args.indexOf('-w') + 1])) continue;
    log(`stopping orphaned rbldnsd pid ${p.pid} (${p.args.join(' ')})`);
    await killAndWait(p.pid, p.start);
  }
}
