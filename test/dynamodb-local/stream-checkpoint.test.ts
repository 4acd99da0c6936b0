// Restarts: a poller resuming from its checkpoint file, and DynamoDB Local keeping its data folder.
//
// At-least-once window: a record is checkpointed right after the handler succeeded with it, so a
// restarted poller re-delivers exactly the records that had not been handled successfully when the
// old one stopped (here: a batch that was still failing), and nothing before them.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { createStreamPoller, type StreamPollerOptions } from '../../local/dynamodb/stream-poller.js';
import { freshTables, PK, recorder, writer } from './helpers.js';

let db: DynamoDbLocal;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ddb-local-test-'));
  db = await startDynamoDbLocal({ dataDir: join(dir, 'data') });
});
afterAll(async () => {
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function run(opts: Omit<StreamPollerOptions, 'endpoint'>, body: () => Promise<unknown>) {
  const p = createStreamPoller({ endpoint: db.endpoint, ...opts });
  await p.start();
  try {
    await body();
    await p.idle();
  } finally {
    await p.stop();
  }
  return p;
}

describe('checkpoint file', () => {
  it('resumes after the last processed record: nothing lost, nothing re-delivered', async () => {
    const t = await freshTables(db.client);
    const file = join(dir, 'resume.json');
    await t.writer.put('before-start'); // LATEST: not delivered
    const first = recorder();
    await run({ tableName: t.listings, handler: first.handler, checkpointFile: file }, () => t.writer.putMany(['a1', 'a2', 'a3']));
    expect(first.calls().flat()).toEqual(['a1', 'a2', 'a3']);
    const a3 = first.events.at(-1)!.Records.at(-1)!.dynamodb!.SequenceNumber!;
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved).toEqual({ streamArn: t.streamArn, shards: { [Object.keys(saved.shards)[0]!]: { sequenceNumber: a3 } } });

    await t.writer.putMany(['b1', 'b2']); // while no poller runs
    const second = recorder();
    // The checkpoint wins over startingPosition.
    await run({ tableName: t.listings, handler: second.handler, checkpointFile: file, startingPosition: 'TRIM_HORIZON' }, () =>
      t.writer.put('b3'),
    );
    expect(second.calls().flat()).toEqual(['b1', 'b2', 'b3']);
  });

  it('re-delivers a batch that was still failing when the poller stopped', async () => {
    const t = await freshTables(db.client);
    const file = join(dir, 'failing.json');
    const ok = recorder();
    await run({ tableName: t.listings, handler: ok.handler, checkpointFile: file }, () => t.writer.put('c0'));

    const failing = recorder(() => {
      throw new Error('down');
    });
    const p = createStreamPoller({
      endpoint: db.endpoint,
      tableName: t.listings,
      handler: failing.handler,
      checkpointFile: file,
      maximumRetryAttempts: -1,
      bisectBatchOnFunctionError: false,
    });
    await t.writer.putMany(['c1', 'c2']); // before start, so they are read as one batch
    await p.start();
    await expect.poll(() => failing.events.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await p.stop();
    expect(failing.calls().every((c) => c.join() === 'c1,c2')).toBe(true);

    const again = recorder();
    await run({ tableName: t.listings, handler: again.handler, checkpointFile: file }, async () => {});
    expect(again.calls()).toEqual([['c1', 'c2']]);
  });

  it('loses nothing written to a shard that was still empty when a fresh LATEST poller stopped', async () => {
    const t = await freshTables(db.client);
    const file = join(dir, 'empty.json');
    const first = recorder();
    await run({ tableName: t.listings, handler: first.handler, checkpointFile: file }, async () => {});
    await t.writer.put('d1');
    const second = recorder();
    await run({ tableName: t.listings, handler: second.handler, checkpointFile: file }, async () => {});
    expect(first.calls()).toEqual([]);
    expect(second.calls().flat()).toEqual(['d1']);
  });
});

describe('DynamoDB Local with a data folder', () => {
  it('keeps items, the stream and its records across a restart, and the poller resumes', async () => {
    const t = await freshTables(db.client);
    const file = join(dir, 'restart.json');
    const first = recorder();
    await run({ tableName: t.listings, handler: first.handler, checkpointFile: file }, () => t.writer.put('e1'));
    expect(first.calls().flat()).toEqual(['e1']);

    await db.stop();
    db = await startDynamoDbLocal({ dataDir: join(dir, 'data') });

    const item = await db.client.send(new GetItemCommand({ TableName: t.listings, Key: { pk: { S: PK }, sk: { S: 'e1' } } }));
    expect(item.Item?.sk?.S).toBe('e1');
    const table = (await db.client.send(new DescribeTableCommand({ TableName: t.listings }))).Table!;
    expect(table.LatestStreamArn).toBe(t.streamArn);

    const second = recorder();
    await run({ tableName: t.listings, handler: second.handler, checkpointFile: file }, () => writer(db.client, t.listings).put('e2'));
    expect(second.calls().flat()).toEqual(['e2']);

    // The records from before the restart are still in the stream.
    const all = recorder();
    await run({ tableName: t.listings, handler: all.handler, startingPosition: 'TRIM_HORIZON' }, async () => {});
    expect(all.calls().flat()).toEqual(['e1', 'e2']);
  });
});
