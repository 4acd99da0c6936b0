// Shard lineage, shard closing, new shards and iterator expiry. DynamoDB Local's server keeps one
// open shard per stream, so these run against a fake Streams API (fake-streams.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamPoller, type StreamPoller, type StreamPollerOptions } from '../../local/dynamodb/stream-poller.js';
import { FAKE_ARN, FakeStreams } from './fake-streams.js';
import { recorder } from './helpers.js';

const pollers: StreamPoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

function poller(fake: FakeStreams, handler: StreamPollerOptions['handler'], opts: Partial<StreamPollerOptions> = {}) {
  const p = createStreamPoller({
    endpoint: 'http://unused',
    tableName: 'fake',
    handler,
    startingPosition: 'TRIM_HORIZON',
    pollIntervalMs: 20,
    clients: { dynamodb: fake as never, streams: fake as never },
    ...opts,
  });
  pollers.push(p);
  return p;
}

const slow = () => new Promise<void>((r) => setTimeout(r, 10));

describe('shard lineage', () => {
  it('finishes a parent shard before reading its child, and follows shards that appear later', async () => {
    const fake = new FakeStreams().addShard('parent').addShard('child', 'parent');
    fake.write('parent', 'p1').write('parent', 'p2').write('child', 'c1').write('parent', 'p3').close('parent').write('child', 'c2');
    const rec = recorder(slow);
    const p = poller(fake, rec.handler, { batchSize: 1 });
    await p.start();
    await p.idle();
    expect(rec.calls().flat()).toEqual(['p1', 'p2', 'p3', 'c1', 'c2']);

    // The child closes and a grandchild takes over.
    fake.addShard('grandchild', 'child').write('grandchild', 'g1');
    fake.write('child', 'c3').close('child');
    await p.idle();
    expect(rec.calls().flat()).toEqual(['p1', 'p2', 'p3', 'c1', 'c2', 'c3', 'g1']);
  });

  it('at LATEST skips closed shards and what open shards already hold', async () => {
    const fake = new FakeStreams().addShard('parent').addShard('child', 'parent');
    fake.write('parent', 'old1').close('parent').write('child', 'old2');
    const rec = recorder();
    const p = poller(fake, rec.handler, { startingPosition: 'LATEST' });
    await p.start();
    fake.write('child', 'new1');
    await p.idle();
    expect(rec.calls().flat()).toEqual(['new1']);
  });
});

describe('iterator expiry', () => {
  it('continues after the last record read, without loss or duplicates', async () => {
    const fake = new FakeStreams().addShard('s');
    fake.write('s', 'a1').write('s', 'a2');
    const rec = recorder();
    const p = poller(fake, rec.handler);
    await p.start();
    await p.idle();
    fake.expireNext = 1;
    fake.write('s', 'a3');
    await p.idle();
    expect(rec.calls().flat()).toEqual(['a1', 'a2', 'a3']);
    expect(fake.iteratorRequests).toEqual(['s TRIM_HORIZON', `s AFTER_SEQUENCE_NUMBER ${'2'.padStart(21, '0')}`]);
  });
});

describe('TTL deletions', () => {
  it('pass userIdentity on in the shape of a Lambda event', async () => {
    const fake = new FakeStreams().addShard('s');
    fake.write('s', 'expired', {
      eventName: 'REMOVE',
      userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
    });
    const rec = recorder();
    const p = poller(fake, rec.handler);
    await p.start();
    await p.idle();
    const r = rec.events[0]!.Records[0]!;
    expect(r.eventName).toBe('REMOVE');
    expect(r.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(r.eventSourceARN).toBe(FAKE_ARN);
  });
});
