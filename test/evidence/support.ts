// One evidence stack per test file: DynamoDB Local (the listings, journal and evidence tables), the
// operator API's write service as the listing writer, and a clock the test moves.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { startTableEnv } from '../support/table-env.js';
import { errorResult } from '../../lambdas/api/errors.js';
import type { Router } from '../../lambdas/api/router.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EvidenceStore, lastOperatorDelisting } from '../../lambdas/adapters/evidence-store.js';
import { Journal } from '../../lambdas/adapters/journal.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import type { ApiDeps } from '../../lambdas/api/deps.js';
import { validateEvidencePolicy } from '../../lambdas/core/evidence-policy.js';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import type { Pfx2As } from '../../lambdas/core/pfx2as.js';
import { ProtectedSet } from '../../lambdas/core/protected-set.js';
import { apiListingWriter, EvidenceIntake, isAutomationActor, type ListPolicy } from '../../lambdas/evidence/intake.js';
import type { DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';

export const CFG: ZoneConfig = {
  zone: 'bl.test',
  lists: [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason}' },
    { name: 'spam-l2', code: '127.0.0.3', txtTemplate: '{ip} escalated: {reason}' },
    { name: 'spam-l3', code: '127.0.0.4', txtTemplate: '{reason}' },
    { name: 'reports', code: '127.0.0.5', txtTemplate: '{reason}' },
  ],
  ttl: 300,
  negativeTtl: 60,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@bl.test',
};

export const POLICIES: ListPolicy[] = [
  {
    list: 'spam',
    policy: validateEvidencePolicy(
      {
        kinds: { spamtrap: { weight: 1 }, 'abuse-report': { weight: 0 } },
        threshold: 1,
        windowHours: 24,
        holdHours: 168,
        repeatOffender: { factor: 2, maxHoldHours: 720, memoryDays: 90 },
        operatorGraceHours: 48,
        escalation: { level2: { list: 'spam-l2', widest: 22, narrowest: 24 }, level3: { list: 'spam-l3', score: 1000, minImpacts: 3 } },
      },
      'lists[0].evidence',
      CFG.lists.map((l) => l.name),
    ),
  },
  {
    list: 'reports',
    policy: validateEvidencePolicy({ kinds: { 'abuse-report': { weight: 1 } }, threshold: 3, minReporters: 2, windowHours: 24, holdHours: 24 }, 'lists[3].evidence'),
  },
];

export const T0 = Date.parse('2030-01-01T00:00:00Z') / 1000;

export interface EvidenceEnv {
  ddb: DynamoDbLocal;
  doc: DynamoDBDocumentClient;
  table: ListingsTable;
  journal: Journal;
  store: EvidenceStore;
  apiDeps: ApiDeps;
  clock: { now: number };
  intake(over?: { protectedSet?: ProtectedSet; pfx2as?: Pfx2As; policies?: ListPolicy[] }): EvidenceIntake;
  stop(): Promise<void>;
}

export async function startEvidenceEnv(): Promise<EvidenceEnv> {
  const { ddb, names, doc, table, journal } = await startTableEnv({ evidence: true });
  const store = new EvidenceStore(doc, names.evidence, { ttlSeconds: 30 * 86_400 });
  const clock = { now: T0 };
  const apiDeps: ApiDeps = { cfg: CFG, table, journal, now: () => new Date(clock.now * 1000), log: { error: () => undefined } };
  const writer = apiListingWriter(apiDeps);
  return {
    ddb,
    doc,
    table,
    journal,
    store,
    apiDeps,
    clock,
    intake: (over = {}) =>
      new EvidenceIntake({
        policies: over.policies ?? POLICIES,
        store,
        table,
        writer,
        protectedSet: over.protectedSet ?? ProtectedSet.build({ infrastructure: ['198.51.100.25'], allow: ['203.0.113.16/28'] }),
        operatorDelisting: async (n, list) => (await lastOperatorDelisting(doc, names.journal, n, list, isAutomationActor))?.at,
        ...(over.pfx2as ? { pfx2as: over.pfx2as } : {}),
        now: () => new Date(clock.now * 1000),
      }),
    stop: () => ddb.stop(),
  };
}

/** A POST through the router as a signed reporter would send it: the answer, errors as the API renders them. */
export async function postAsReporter(router: Router, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const caller = 'arn:aws:iam::1:role/reporter';
  const event = { httpMethod: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), requestContext: { identity: { userArn: caller } } } as unknown as APIGatewayProxyEvent;
  try {
    const r = await router.match('POST', path)({ event, caller, requestId: 'r' });
    return { status: r.statusCode, json: JSON.parse(r.body) };
  } catch (e) {
    const r = errorResult(e, { error: () => undefined }, 'r');
    return { status: r.statusCode, json: JSON.parse(r.body) };
  }
}
