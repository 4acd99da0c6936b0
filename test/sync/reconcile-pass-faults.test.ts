// The sliced reconcile pass when things go wrong and under its rate share, against DynamoDB Local
// and the Route 53 stand-in: a pass interrupted after some slices leaves those slices whole and
// the rest untouched, and a re-run completes; its reads keep to the configured rate.
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestPacer } from '../../lambdas/adapters/request-pacer.js';
import { Route53Zone, ROUTE53_CLIENT_CONFIG } from '../../lambdas/adapters/route53-zone.js';
import { ownsName } from '../../lambdas/core/reconcile-slices.js';
import { inProcessSteps, runPass, type RunnerSteps } from '../../lambdas/services/reconcile-runner.js';
import { type SyncEnv, useDynamoDbLocal, zoneDiff } from './sync-env.js';
import { del, deps, now, startCorpusEnv, tamper } from './reconcile-support.js';

const ddb = useDynamoDbLocal();

describe('sliced reconcile pass, interrupted and paced', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startCorpusEnv(ddb());
  }, 120_000);
  afterAll(async () => env?.stop());

  it('an interrupted pass leaves finished slices whole, the rest untouched, and a re-run completes', async () => {
    const planned = await env.planned(now());
    // Drift in every part of the zone.
    const victims = [...planned.values()].filter((r) => r.type === 'A').filter((_, i) => i % 5 === 0);
    await tamper(env, victims.map(del));
    const steps = inProcessSteps(deps(env), { sliceListings: 6 });
    const doneSlices: Array<Parameters<RunnerSteps['slice']>[1]> = [];
    let crashed = false;
    const interrupted = await runPass({
      ...steps,
      slice: async (plan, ps) => {
        // Crash the first slice with drift once a few have run.
        if (!crashed && doneSlices.length >= 3 && victims.some((v) => ownsName(ps.slice, v.name, env.cfg.zone))) {
          crashed = true;
          throw new Error('slice crashed');
        }
        const r = await steps.slice(plan, ps);
        doneSlices.push(ps);
        return r;
      },
      retryScale: 0,
    });
    expect(interrupted.failedSlices).toBe(1);
    expect(interrupted.full).toBe(false);
    const actual = env.actual();
    const diff = zoneDiff(planned, actual);
    // Every difference left lies outside the slices that ran; each slice that ran is exact.
    for (const line of diff) {
      const name = line.split(' ')[1]!;
      expect(doneSlices.some((ps) => ownsName(ps.slice, name, env.cfg.zone)), line).toBe(false);
    }
    expect(diff.length).toBeGreaterThan(0);
    const rerun = await runPass(inProcessSteps(deps(env), { sliceListings: 6 }));
    expect(rerun.failedSlices).toBe(0);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  }, 240_000);

  it('keeps its Route 53 reads within the configured rate', async () => {
    const route53 = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, ...ROUTE53_CLIENT_CONFIG });
    const times: number[] = [];
    route53.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListResourceRecordSetsCommand') times.push(Date.now());
        return next(args);
      },
      { step: 'initialize' },
    );
    const rate = 20;
    const paced = new Route53Zone(route53, env.zoneId, env.cfg.zone, { readPacer: new RequestPacer(rate), listPageSize: 40 });
    const r = await runPass(inProcessSteps(deps(env, paced), { dryRun: true, sliceListings: 6 }));
    expect(r.zoneReads).toBeGreaterThan(20);
    expect(times.length).toBeGreaterThanOrEqual(r.zoneReads);
    // No window of one second holds more than the rate allows (+1 for the window's edges).
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(rate + 1);
    }
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    expect(spanS).toBeGreaterThanOrEqual((times.length - 1) / rate - 0.05);
  }, 120_000);
});
