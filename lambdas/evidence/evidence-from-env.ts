// The evidence intake as the AWS functions build it from their environment (the construct's
// lib/evidence.ts sets these variables; model: lambdas/public/delist-from-env.ts). One place, so the
// operator API's POST /v1/evidence and the mail intake function evaluate evidence the same way.
//
//   EVIDENCE_TABLE                 the evidence table; unset: no evidence intake (routes absent)
//   EVIDENCE_INFRASTRUCTURE        the deployment's own addresses/networks, comma-separated (never listed)
//   EVIDENCE_ALLOW                 configured allow ranges, comma-separated (never listed)
//   EVIDENCE_ALLOW_OBJECT          optional s3://bucket/key of an allow file (one network per line, "#" comments)
//   EVIDENCE_PFX2AS_OBJECT         optional s3://bucket/key of a CAIDA pfx2as file for level 3; unset: level 3 off
//
// The S3 objects are read once per container (cold start), on first use. An allow file that cannot be
// read or parsed fails the intake closed: nothing is evaluated until it can be (an allowed address
// must never be listed because its file was missing). A pfx2as file that cannot be read turns level 3
// off for the container, and the log says so; its bad lines are skipped and counted.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVIDENCE_TABLE_ENV, EvidenceStore, lastOperatorDelisting } from '../adapters/evidence-store.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import type { ApiDeps } from '../api/deps.js';
import { ApiError } from '../api/errors.js';
import type { Route } from '../api/router.js';
import { DEFAULT_EVIDENCE_TTL_DAYS } from '../core/evidence-policy.js';
import type { ZoneConfig } from '../core/listing.js';
import { parsePfx2As, type Pfx2As } from '../core/pfx2as.js';
import { ProtectedSet } from '../core/protected-set.js';
import { apiListingWriter, EvidenceIntake, isAutomationActor, type ListPolicy } from './intake.js';
import { DRY_RUN_PATH, EVIDENCE_PATH, evidenceRoutes } from './routes.js';

export const EVIDENCE_ENV = {
  table: EVIDENCE_TABLE_ENV,
  infrastructure: 'EVIDENCE_INFRASTRUCTURE',
  allow: 'EVIDENCE_ALLOW',
  allowObject: 'EVIDENCE_ALLOW_OBJECT',
  pfx2asObject: 'EVIDENCE_PFX2AS_OBJECT',
} as const;

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** "s3://bucket/key" -> {bucket, key}; anything else throws, naming the setting. */
export function parseS3Uri(uri: string, name: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri.trim());
  if (!m) throw new Error(`${name} ${JSON.stringify(uri)} is not an S3 object address like s3://my-bucket/path/allow.txt`);
  return { bucket: m[1]!, key: m[2]! };
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The policies of the lists that have one. */
export function listPolicies(cfg: ZoneConfig): ListPolicy[] {
  return cfg.lists.flatMap((l) => (l.evidence ? [{ list: l.name, policy: l.evidence }] : []));
}

/** How long evidence is kept: the longest evidenceTtlDays of the policies. */
export function evidenceTtlSeconds(policies: readonly ListPolicy[]): number {
  return Math.max(...policies.map((p) => (p.policy.evidenceTtlDays ?? DEFAULT_EVIDENCE_TTL_DAYS) * 86_400));
}

export async function readS3Text(s3: Pick<S3Client, 'send'>, loc: S3Location): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
  if (!r.Body) throw new Error(`s3://${loc.bucket}/${loc.key} has no body`);
  return r.Body.transformToString('utf-8');
}
/**
 * The intake over the evidence table: the listed lists' policies, the store with their TTL, and
 * listings written through the operator API's own write routes (validated, guarded, audited). AWS
 * (loadIntakeFromEnv) and the local stack build it here alike.
 */
export function buildIntake(parts: Pick<EvidenceParts, 'cfg' | 'doc' | 'journalTable' | 'table' | 'apiDeps'> & { evidenceTable: string; protectedSet: ProtectedSet; pfx2as?: Pfx2As }): { intake: EvidenceIntake; policies: ListPolicy[] } {
  const policies = listPolicies(parts.cfg);
  const intake = new EvidenceIntake({
    policies,
    store: new EvidenceStore(parts.doc, parts.evidenceTable, { ttlSeconds: evidenceTtlSeconds(policies) }),
    table: parts.table,
    writer: apiListingWriter(parts.apiDeps),
    protectedSet: parts.protectedSet,
    operatorDelisting: async (n, l) => (await lastOperatorDelisting(parts.doc, parts.journalTable, n, l, isAutomationActor))?.at,
    ...(parts.pfx2as ? { pfx2as: parts.pfx2as } : {}),
    ...(parts.apiDeps.now ? { now: parts.apiDeps.now } : {}),
  });
  return { intake, policies };
}

export interface EvidenceParts {
  readonly cfg: ZoneConfig;
  readonly doc: DynamoDBDocumentClient;
  readonly journalTable: string;
  readonly table: ListingsTable;
  /** The operator API's dependencies: listings are written through its own write routes. */
  readonly apiDeps: ApiDeps;
  readonly s3: Pick<S3Client, 'send'>;
  readonly log: { info(message: string, extra?: Record<string, unknown>): void; warn(message: string, extra?: Record<string, unknown>): void };
}

export interface LoadedIntake {
  readonly intake: EvidenceIntake;
  readonly policies: readonly ListPolicy[];
  /** Whether level 3 has its prefix-to-AS table. */
  readonly level3: boolean;
}

/**
 * Loads the protected set and pfx2as file and builds the intake; undefined when the environment
 * names no evidence table. Throws when the configuration or the allow file is unusable.
 */
export async function loadIntakeFromEnv(env: NodeJS.ProcessEnv, parts: EvidenceParts): Promise<LoadedIntake | undefined> {
  const tableName = env[EVIDENCE_ENV.table];
  if (!tableName) return undefined;
  const policies = listPolicies(parts.cfg);
  if (policies.length === 0) throw new Error(`${EVIDENCE_ENV.table} is set but no list of the zone configuration has an evidence policy`);
  const allowFiles: Array<{ name: string; text: string }> = [];
  const allowUri = env[EVIDENCE_ENV.allowObject];
  if (allowUri) {
    const loc = parseS3Uri(allowUri, EVIDENCE_ENV.allowObject);
    allowFiles.push({ name: `s3://${loc.bucket}/${loc.key}`, text: await readS3Text(parts.s3, loc) });
  }
  // Bad lines of an allow file throw (naming file and line): fail closed.
  const protectedSet = ProtectedSet.build({ infrastructure: list(env[EVIDENCE_ENV.infrastructure]), allow: list(env[EVIDENCE_ENV.allow]), allowFiles });
  let pfx2as: Pfx2As | undefined;
  const pfxUri = env[EVIDENCE_ENV.pfx2asObject];
  const wantsLevel3 = policies.some((p) => p.policy.escalation?.level3);
  if (pfxUri) {
    const loc = parseS3Uri(pfxUri, EVIDENCE_ENV.pfx2asObject);
    try {
      const { table, problems } = parsePfx2As(await readS3Text(parts.s3, loc), `s3://${loc.bucket}/${loc.key}`);
      pfx2as = table;
      parts.log.info('pfx2as loaded: level 3 escalation on', { prefixes: table.entries.length, badLines: problems.length, firstProblem: problems[0]?.message });
    } catch (e) {
      parts.log.warn('pfx2as unreadable: level 3 escalation is off in this container', { object: pfxUri, error: (e as Error).message });
    }
  } else if (wantsLevel3) {
    parts.log.warn(`no pfx2as file configured (${EVIDENCE_ENV.pfx2asObject}): level 3 escalation is off`);
  }
  const { intake } = buildIntake({ ...parts, evidenceTable: tableName, protectedSet, ...(pfx2as ? { pfx2as } : {}) });
  return { intake, policies, level3: pfx2as !== undefined };
}

/** Memoizes a load; a failed load is forgotten, so the next call tries again. */
export function retryingOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((e: unknown) => {
      pending = undefined;
      throw e;
    });
    return pending;
  };
}

/**
 * The evidence routes for the operator API, and its hook after operators' delistings (the
 * escalations around them are re-evaluated: ApiDeps.onDelisted), or undefined when the environment
 * names no evidence table. The intake is loaded on first use (the rest of the API does not wait for
 * S3); while it cannot be loaded, the evidence routes answer 503 and write nothing.
 */
export function evidenceFromEnv(env: NodeJS.ProcessEnv, parts: EvidenceParts): { routes: Route[]; onDelisted: NonNullable<ApiDeps['onDelisted']> } | undefined {
  if (!env[EVIDENCE_ENV.table]) return undefined;
  const ready = retryingOnce(async () => {
    const loaded = await loadIntakeFromEnv(env, parts);
    return { intake: loaded!.intake, routes: evidenceRoutes({ intake: loaded!.intake, policies: loaded!.policies, cfg: parts.cfg }) };
  });
  const routes = [EVIDENCE_PATH, DRY_RUN_PATH].map((path) => ({
    method: 'POST' as const,
    path,
    handler: async (ctx: Parameters<Route['handler']>[0]) => {
      let loaded: Awaited<ReturnType<typeof ready>>;
      try {
        loaded = await ready();
      } catch (e) {
        parts.log.warn('evidence intake unavailable', { error: (e as Error).message });
        throw new ApiError(503, 'evidence-unavailable', `the evidence intake cannot start: ${(e as Error).message}`);
      }
      return loaded.routes.find((r) => r.path === path)!.handler(ctx);
    },
  }));
  const onDelisted: NonNullable<ApiDeps['onDelisted']> = async (removed, caller) => (await ready()).intake.afterDelisting(removed, caller);
  return { routes, onDelisted };
}

