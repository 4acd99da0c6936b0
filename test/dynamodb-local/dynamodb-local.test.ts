// DynamoDB Local lifecycle: start, tables, shared database, missing Java, no orphaned Java process.
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTables, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';

let db: DynamoDbLocal;
const names = { listings: 'listings-main', journal: 'journal-main' };

beforeAll(async () => {
  const t0 = performance.now();
  db = await startDynamoDbLocal();
  console.log(`DynamoDB Local ready in ${Math.round(performance.now() - t0)} ms on port ${db.port}`);
});
afterAll(() => db?.stop());

/** Resolves true if something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('startDynamoDbLocal', () => {
  it('listens on 127.0.0.1 at the port it reports', async () => {
    expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
    expect(await listening(db.port)).toBe(true);
  });

  it('ensureTables creates both tables with keys, GSIs, stream and TTL, and is idempotent', async () => {
    await ensureTables(db.client, names);
    const l = (await db.client.send(new DescribeTableCommand({ TableName: names.listings }))).Table!;
    expect(l.TableStatus).toBe('ACTIVE');
    expect(l.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(l.GlobalSecondaryIndexes?.map((g) => g.IndexName).sort()).toEqual(['byExpiry', 'byList']);
    expect(l.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(l.LatestStreamArn).toBeTruthy();
    const j = (await db.client.send(new DescribeTableCommand({ TableName: names.journal }))).Table!;
    expect(j.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['byTime']);
    expect(j.LatestStreamArn).toBeUndefined();
    for (const t of [names.listings, names.journal]) {
      const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: t }));
      expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    }
    // A second run must neither fail nor touch the data or the stream.
    await db.client.send(new PutItemCommand({ TableName: names.listings, Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    await ensureTables(db.client, names);
    const again = (await db.client.send(new DescribeTableCommand({ TableName: names.listings }))).Table!;
    expect(again.LatestStreamArn).toBe(l.LatestStreamArn);
    const item = await db.client.send(new GetItemCommand({ TableName: names.listings, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    expect(item.Item).toBeDefined();
  });

  it('shares one database across credentials and regions (sharedDb)', async () => {
    // DynamoDB Local only accepts access keys of letters and digits.
    const other = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'someoneelse', secretAccessKey: 'x' },
    });
    try {
      await ensureTables(db.client, names);
      const t = await other.send(new DescribeTableCommand({ TableName: names.listings }));
      expect(t.Table?.TableName).toBe(names.listings);
    } finally {
      other.destroy();
    }
  });

  it('says how to install Java when it is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow('apt-get install -y default-jre-headless');
    } finally {
      process.env.PATH = path;
    }
  });

  it('leaves no Java process behind when its parent gets Ctrl-C (SIGINT)', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/hold-dynamodb-local.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once('exit', (code, sig) => r(sig ?? code)));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`fixture exited early: ${out}`)));
    });
    expect(await listening(port)).toBe(true);
    child.kill('SIGINT');
    // The default action still happens: the parent dies of SIGINT, after killing Java.
    expect(await exited).toBe('SIGINT');
    expect(await until(async () => !(await listening(port)), 10_000)).toBe(true);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.includes('DynamoDBLocal.jar') && l.includes(`-port ${port}`))).toEqual([]);
  });

  it('stop() ends Java and frees the port; stopping twice is harmless', async () => {
    const second = await startDynamoDbLocal();
    expect(second.port).not.toBe(db.port);
    await second.stop();
    await second.stop();
    expect(await listening(second.port)).toBe(false);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.includes(`-port ${second.port}`)).toBe(false);
  });
});
