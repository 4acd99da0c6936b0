// The stream poller against DynamoDB Local's real stream: event shape, order, batching, and the
// event source mapping's error handling (retry, bisect, partial batch response, on-failure).
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { createStreamPoller, type StreamPoller, type StreamPollerOptions } from '../../local/dynamodb/stream-poller.js';
import { freshTables, range, recorder, skOf } from './helpers.js';

let db: DynamoDbLocal;
const pollers: StreamPoller[] = [];

beforeAll(async () => {
  db = await startDynamoDbLocal();
});
afterAll(() => db?.stop());
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

async function setup(opts: Omit<StreamPollerOptions, 'endpoint' | 'tableName'>) {
  const t = await freshTables(db.client);
  const poller = createStreamPoller({ endpoint: db.endpoint, tableName: t.listings, ...opts });
  pollers.push(poller);
  return { ...t, poller };
}

const boom = () => {
  throw new Error('boom');
};

describe('event shape and order', () => {
  it('delivers INSERT, MODIFY, REMOVE in write order with the images Lambda would pass', async () => {
    const rec = recorder();
    const { poller, writer, streamArn } = await setup({ handler: rec.handler });
    await poller.start();
    const before = Math.floor(Date.now() / 1000);
    await writer.put('a', { v: 1, bin: new Uint8Array([1, 2, 255]) });
    await writer.update('a', 2);
    await writer.remove('a');
    await poller.idle();

    const records = rec.events.flatMap((e) => e.Records);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [ins, mod, rem] = records as [DynamoDBRecord, DynamoDBRecord, DynamoDBRecord];
    const keys = { pk: { S: 'N#4:c000' }, sk: { S: 'a' } };
    const v1 = { ...keys, v: { N: '1' }, bin: { B: Buffer.from([1, 2, 255]).toString('base64') } };
    const v2 = { ...v1, v: { N: '2' } };
    expect(ins.dynamodb).toMatchObject({ Keys: keys, NewImage: v1, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(ins.dynamodb).not.toHaveProperty('OldImage');
    expect(mod.dynamodb).toMatchObject({ Keys: keys, OldImage: v1, NewImage: v2 });
    expect(rem.dynamodb).toMatchObject({ Keys: keys, OldImage: v2 });
    expect(rem.dynamodb).not.toHaveProperty('NewImage');
    for (const r of records) {
      expect(r).toMatchObject({ eventSource: 'aws:dynamodb', eventVersion: '1.1', eventSourceARN: streamArn });
      expect(r.eventID).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof r.awsRegion).toBe('string');
      expect(r).not.toHaveProperty('userIdentity'); // only TTL deletions carry one
      expect(r.dynamodb!.SizeBytes).toBeGreaterThan(0);
      // Epoch seconds like Lambda's JSON; DynamoDB Local truncates it to the minute.
      const t = r.dynamodb!.ApproximateCreationDateTime!;
      expect(Number.isInteger(t) && t <= Date.now() / 1000 && t >= before - 60).toBe(true);
    }
    const seqs = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
  });

  it('starts at LATEST by default, and at the oldest record with TRIM_HORIZON', async () => {
    const latest = recorder();
    const t = await setup({ handler: latest.handler });
    await t.writer.putMany(['old1', 'old2']);
    await t.poller.start();
    await t.writer.put('new1');
    await t.poller.idle();
    expect(latest.calls().flat()).toEqual(['new1']);

    const horizon = recorder();
    const p2 = createStreamPoller({ endpoint: db.endpoint, tableName: t.listings, handler: horizon.handler, startingPosition: 'TRIM_HORIZON' });
    pollers.push(p2);
    await p2.start();
    await p2.idle();
    expect(horizon.calls().flat()).toEqual(['old1', 'old2', 'new1']);
  });

  it('cuts batches at batchSize, in order, one at a time', async () => {
    let running = 0;
    let overlap = false;
    const rec = recorder(async () => {
      overlap ||= running++ > 0;
      await new Promise((r) => setTimeout(r, 20));
      running--;
    });
    const t = await setup({ handler: rec.handler, batchSize: 3, startingPosition: 'TRIM_HORIZON' });
    await t.writer.putMany(range(1, 7));
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([range(1, 3), range(4, 6), ['i7']]);
    expect(overlap).toBe(false);
    expect(t.poller.stats()).toEqual({ batches: 3, records: 7, retries: 0, failures: 0 });
  });

  it('cuts a batch where its event would pass the payload limit, as Lambda does at 6 MB', async () => {
    const rec = recorder();
    const pad = 'x'.repeat(400);
    // Each record's JSON is a little over 600 bytes: three fit under 2,000, four do not.
    const t = await setup({ handler: rec.handler, batchSize: 100, maxPayloadBytes: 2_000, startingPosition: 'TRIM_HORIZON' });
    for (const sk of range(1, 7)) await t.writer.put(sk, { pad });
    await t.poller.start();
    await t.poller.idle();
    const calls = rec.calls();
    expect(calls.flat()).toEqual(range(1, 7));
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) expect(c.length).toBeLessThanOrEqual(3);
  });

  it('waits up to maximumBatchingWindowMs to fill a batch', async () => {
    const rec = recorder();
    const t = await setup({ handler: rec.handler, maximumBatchingWindowMs: 1_500, pollIntervalMs: 50 });
    await t.poller.start();
    await t.writer.put('w1');
    await new Promise((r) => setTimeout(r, 300));
    await t.writer.put('w2');
    await t.poller.idle();
    expect(rec.calls()).toEqual([['w1', 'w2']]);
  });
});

describe('idle()', () => {
  it('resolves only after a slow handler has finished every earlier write', async () => {
    let handled = 0;
    const rec = recorder(async (e) => {
      await new Promise((r) => setTimeout(r, 150));
      handled += e.Records.length;
    });
    const t = await setup({ handler: rec.handler, batchSize: 2, pollIntervalMs: 1_000 });
    await t.poller.start();
    await t.poller.idle(); // nothing written yet: resolves
    for (const sk of range(1, 5)) {
      await t.writer.put(sk);
      await t.poller.idle();
      expect(rec.calls().flat().at(-1)).toBe(sk);
    }
    await t.writer.putMany(range(6, 9));
    await t.poller.idle();
    expect(handled).toBe(9);
  });

  it('rejects before start(), and rejects pending calls at stop()', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const t = await setup({
      handler: async (e) => {
        seen.push(...e.Records.map(skOf));
        await blocked;
      },
    });
    await expect(t.poller.idle()).rejects.toThrow(/not running/);
    await t.poller.start();
    await t.writer.put('x');
    const pending = t.poller.idle();
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(['x']);
    const stopping = t.poller.stop();
    await expect(pending).rejects.toThrow(/stopped/);
    release(); // stop() lets the handler call in progress finish
    await stopping;
  });
});

describe('errors', () => {
  it('retries the whole batch when the handler throws, counting retries', async () => {
    const rec = recorder((_e, call) => (call <= 2 ? boom() : undefined));
    const t = await setup({ handler: rec.handler, bisectBatchOnFunctionError: false, startingPosition: 'TRIM_HORIZON' });
    await t.writer.putMany(range(1, 3));
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([range(1, 3), range(1, 3), range(1, 3)]);
    expect(t.poller.stats()).toEqual({ batches: 3, records: 3, retries: 2, failures: 0 });
    // Then it moves on.
    await t.writer.put('i4');
    await t.poller.idle();
    expect(rec.calls().at(-1)).toEqual(['i4']);
  });

  it('bisects a failing batch to isolate the bad record (splits are not retries)', async () => {
    const failed: string[][] = [];
    const rec = recorder((e) => (e.Records.some((r) => skOf(r) === 'i3') ? boom() : undefined));
    const t = await setup({
      handler: rec.handler,
      maximumRetryAttempts: 1,
      startingPosition: 'TRIM_HORIZON',
      onFailure: async ({ records }) => void failed.push(records.map(skOf)),
    });
    await t.writer.putMany(range(1, 4));
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([range(1, 4), ['i1', 'i2'], ['i3', 'i4'], ['i3'], ['i3'], ['i4']]);
    expect(failed).toEqual([['i3']]);
    expect(t.poller.stats()).toEqual({ batches: 6, records: 3, retries: 1, failures: 1 });
  });

  it('resumes from the lowest failed record of batchItemFailures, not re-delivering earlier ones', async () => {
    const rec = recorder((e, call) => {
      if (call > 1) return { batchItemFailures: [] };
      const seq = (sk: string) => e.Records.find((r) => skOf(r) === sk)!.dynamodb!.SequenceNumber!;
      return { batchItemFailures: [{ itemIdentifier: seq('i5') }, { itemIdentifier: seq('i3') }] };
    });
    const t = await setup({ handler: rec.handler, startingPosition: 'TRIM_HORIZON' });
    await t.writer.putMany(range(1, 6));
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([range(1, 6), range(3, 6)]);
    expect(t.poller.stats()).toEqual({ batches: 2, records: 6, retries: 1, failures: 0 });
  });

  it.each([
    ['an empty itemIdentifier', ''],
    ['an identifier not in the batch', '000000000000000000999'],
  ])('treats %s as a failure of the whole batch', async (_name, itemIdentifier) => {
    const rec = recorder((_e, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier }] } : undefined));
    const t = await setup({ handler: rec.handler, startingPosition: 'TRIM_HORIZON' });
    await t.writer.putMany(range(1, 4));
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([range(1, 4), range(1, 4)]);
  });

  it('ignores batchItemFailures when reportBatchItemFailures is off', async () => {
    const rec = recorder((e) => ({ batchItemFailures: [{ itemIdentifier: e.Records[0]!.dynamodb!.SequenceNumber! }] }));
    const t = await setup({ handler: rec.handler, reportBatchItemFailures: false, startingPosition: 'TRIM_HORIZON' });
    await t.writer.putMany(range(1, 2));
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([range(1, 2)]);
  });

  it('sends the records to onFailure after maximumRetryAttempts, then moves on', async () => {
    const failures: { sks: string[]; error: string }[] = [];
    const rec = recorder((e) => (e.Records.some((r) => skOf(r).startsWith('bad')) ? boom() : undefined));
    const t = await setup({
      handler: rec.handler,
      maximumRetryAttempts: 2,
      bisectBatchOnFunctionError: false,
      startingPosition: 'TRIM_HORIZON',
      onFailure: async ({ records, error }) => void failures.push({ sks: records.map(skOf), error }),
    });
    await t.writer.putMany(['bad1', 'ok1']);
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([['bad1', 'ok1'], ['bad1', 'ok1'], ['bad1', 'ok1']]);
    expect(failures).toEqual([{ sks: ['bad1', 'ok1'], error: 'Error: boom' }]);
    await t.writer.put('ok2');
    await t.poller.idle();
    expect(rec.calls().at(-1)).toEqual(['ok2']);
    expect(t.poller.stats()).toEqual({ batches: 4, records: 1, retries: 2, failures: 2 });
  });

  it('keeps retrying a failed partial batch until the retries run out', async () => {
    const failures: string[][] = [];
    const rec = recorder((e) => {
      const bad = e.Records.find((r) => skOf(r) === 'i2');
      return bad ? { batchItemFailures: [{ itemIdentifier: bad.dynamodb!.SequenceNumber! }] } : undefined;
    });
    const t = await setup({
      handler: rec.handler,
      maximumRetryAttempts: 1,
      startingPosition: 'TRIM_HORIZON',
      onFailure: async ({ records }) => void failures.push(records.map(skOf)),
    });
    await t.writer.putMany(range(1, 3));
    await t.poller.start();
    await t.poller.idle();
    expect(rec.calls()).toEqual([range(1, 3), range(2, 3)]);
    expect(failures).toEqual([['i2', 'i3']]);
  });
});
