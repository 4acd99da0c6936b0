// Shared pieces for the stand-in tests: the real SDK client pointed at the stand-in, the set-up and
// tear-down every file needs (standInSuite for a file or describe block, withStandInClient for one
// test), and small builders for change batches.
import { type Change, ChangeResourceRecordSetsCommand, Route53Client, type Route53ClientConfig } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { invalidChangeBatchMessages } from '../../local/route53/errors.js';
import { type Route53StandIn, type Route53StandInOptions, startRoute53StandIn } from '../../local/route53/index.js';

/** A stand-in without request throttling unless the test asks for it. */
export function startStandIn(opts: Route53StandInOptions = {}): Promise<Route53StandIn> {
  return startRoute53StandIn({ throttle: false, ...opts });
}

/** The unmodified SDK client; maxAttempts 1 so errors surface unless a test wants retries. */
export function sdkClient(endpoint: string, extra: Partial<Route53ClientConfig> = {}): Route53Client {
  return new Route53Client({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    ...extra,
  });
}

export function rr(action: 'CREATE' | 'DELETE' | 'UPSERT', name: string, type: string, ttl: number, values: string[]): Change {
  return {
    Action: action,
    ResourceRecordSet: { Name: name, Type: type as never, TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) },
  };
}

export function send(client: Route53Client, zoneId: string, changes: Change[], comment?: string) {
  return client.send(
    new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes, ...(comment ? { Comment: comment } : {}) } }),
  );
}

export interface SdkError extends Error {
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $fault?: string;
}

/** Awaits a rejection and returns the SDK's error. */
export async function rejection(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  expect.fail('expected the call to be rejected');
}

/** Sends a batch that must fail with InvalidChangeBatch; returns the individual messages. */
export async function batchMessages(client: Route53Client, zoneId: string, changes: Change[]): Promise<string[]> {
  const err = await rejection(send(client, zoneId, changes));
  expect(err.name).toBe('InvalidChangeBatch');
  expect(err.$metadata.httpStatusCode).toBe(400);
  expect(err.message.startsWith('[') && err.message.endsWith(']')).toBe(true);
  return invalidChangeBatchMessages(err.message);
}

/** Runs `body` against a fresh stand-in, closed afterwards whatever happens. */
export async function withStandIn(opts: Route53StandInOptions, body: (s: Route53StandIn) => Promise<void>): Promise<void> {
  const s = await startStandIn(opts);
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

export interface StandInOptions {
  /** Options of the stand-in (throttling is off unless given). */
  readonly standIn?: Route53StandInOptions;
  /** Extra SDK client configuration (timeouts, retries). */
  readonly client?: Partial<Route53ClientConfig>;
  /** A hosted zone to create, e.g. "bl.example.org"; its id is `zone`. */
  readonly zone?: string;
}

export interface StandInSession {
  readonly standIn: Route53StandIn;
  readonly client: Route53Client;
  /** The id of the zone created for it ('' when no zone was asked for). */
  readonly zone: string;
}

/**
 * One stand-in and SDK client for the tests of a file (or of the describe block it is called in):
 * started before them, closed after them. With `zone` the zone is created once, or before every
 * test with `zonePerTest`. `bind` receives the session whenever it is (re)made, so a file keeps
 * its own `standIn`, `client` and `zone` variables:
 *   standInSuite({ zone: 'bl.example.org' }, (s) => ({ standIn, client, zone } = s));
 */
export function standInSuite(opts: StandInOptions & { readonly zonePerTest?: boolean }, bind: (s: StandInSession) => void): void {
  let session: { standIn: Route53StandIn; client: Route53Client; zone: string } | undefined;
  beforeAll(async () => {
    const standIn = await startStandIn(opts.standIn);
    session = { standIn, client: sdkClient(standIn.endpoint, opts.client), zone: '' };
    if (opts.zone && !opts.zonePerTest) session.zone = await standIn.createZone(opts.zone);
    bind(session);
  });
  afterAll(async () => {
    session?.client.destroy();
    await session?.standIn.close();
  });
  if (opts.zone && opts.zonePerTest) {
    beforeEach(async () => {
      session!.zone = await session!.standIn.createZone(opts.zone!);
      bind(session!);
    });
  }
}

/** Runs `body` against a fresh stand-in and SDK client (and zone, if asked), all closed afterwards whatever happens. */
export async function withStandInClient(opts: StandInOptions, body: (s: StandInSession) => Promise<void>): Promise<void> {
  await withStandIn(opts.standIn ?? {}, async (standIn) => {
    const client = sdkClient(standIn.endpoint, opts.client);
    try {
      await body({ standIn, client, zone: opts.zone ? await standIn.createZone(opts.zone) : '' });
    } finally {
      client.destroy();
    }
  });
}
