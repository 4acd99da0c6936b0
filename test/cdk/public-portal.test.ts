// The stack with the public side (lib/public-portal.ts): its own API without IAM, throttled, a WAF
// rate rule per client on the stage, the function granted exactly what its code calls (from the
// handler's call graph), SES on the configured identity only, and the portal's per-list policy in
// the zone configuration every function gets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/adapters/table-schema.js';
import { grantsOfRole, logicalId, parseJoinedJson, resourcesOfType, type Synthesized, synth, ZONE } from './helpers.js';
import { usedActionsInChild } from './used-actions.js';

describe('DnsblStack with the public portal', () => {
  let s: Synthesized;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dnsbl-portal-cfg-'));
    const file = path.join(dir, 'dnsbl.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        zoneName: ZONE,
        lookupUrl: `https://${ZONE}/lookup?ip={ip}`,
        lists: [{ name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} - see {lookupUrl}', selfDelist: 'auto', selfDelistLimit: { count: 2, days: 30 }, automatedSources: ['trap:'] }],
        publicPortal: { mailFrom: `DNSBL <delist@${ZONE}>`, wafRequestsPer5Minutes: 200 },
      }),
    );
    s = await synth({ 'dnsbl:config': file, 'dnsbl:hostedZoneId': '' });
  }, 600_000);
  afterAll(() => {
    rmSync(s.outdir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const portal = () => s.stack.publisher.publicPortal!;

  it('has no unacknowledged cdk-nag finding', () => {
    const open = s.report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName} ${v.violatingConstructs?.map((c) => c.constructPath).join(', ')}`));
    expect(open).toEqual([]);
  });

  it('serves the portal on an API of its own: no authorization, throttled stage, WAF rate rule per client on it', () => {
    const api = logicalId(portal().api);
    const methods = resourcesOfType(s.json, 'AWS::ApiGateway::Method').filter(([, m]) => JSON.stringify(m.Properties!.RestApiId) === JSON.stringify({ Ref: api }));
    expect(methods.map(([, m]) => m.Properties!.HttpMethod).sort()).toEqual(['GET', 'GET', 'POST']);
    for (const [, m] of methods) expect(m.Properties!.AuthorizationType).toBe('NONE');
    // The operator API keeps IAM on every method.
    const operator = resourcesOfType(s.json, 'AWS::ApiGateway::Method').filter(([, m]) => JSON.stringify(m.Properties!.RestApiId) === JSON.stringify({ Ref: logicalId(s.stack.publisher.api) }));
    expect(operator.length).toBeGreaterThan(0);
    for (const [, m] of operator) expect(m.Properties!.AuthorizationType).toBe('AWS_IAM');
    const stage = resourcesOfType(s.json, 'AWS::ApiGateway::Stage').find(([, st]) => JSON.stringify(st.Properties!.RestApiId) === JSON.stringify({ Ref: api }))![1];
    expect(stage.Properties!.MethodSettings[0]).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const acls = resourcesOfType(s.json, 'AWS::WAFv2::WebACL');
    expect(acls).toHaveLength(1);
    const [aclId, acl] = acls[0]!;
    expect(acl.Properties!.Scope).toBe('REGIONAL');
    expect(acl.Properties!.Rules[0]).toMatchObject({
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
      Statement: { RateBasedStatement: { Limit: 200, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
    });
    const assoc = resourcesOfType(s.json, 'AWS::WAFv2::WebACLAssociation').find(([, a]) => JSON.stringify(a.Properties!.WebACLArn).includes(aclId));
    expect(JSON.stringify(assoc![1].Properties!.ResourceArn)).toContain(logicalId(portal().api));
    expect(s.json.Outputs!.PublicPortalUrl).toBeDefined();
  });

  it('grants the portal function exactly what its code calls, SES on the mail identity only', async () => {
    const fnId = logicalId(portal().function);
    const fn = s.json.Resources[fnId]!;
    const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const granted = grantsOfRole(s.json, role);
    const used = new Set((await usedActionsInChild(['lambdas/handlers/public.ts']))['lambdas/handlers/public.ts']!.actions);
    const platform = new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    expect([...used].filter((a) => !granted.has(a)).sort()).toEqual([]);
    expect([...granted.keys()].filter((a) => !used.has(a) && !platform.has(a)).sort()).toEqual([]);
    expect(JSON.stringify(granted.get('ses:SendEmail'))).toContain(`identity/${ZONE}`);
    const env = fn.Properties!.Environment.Variables;
    expect(env.MAIL_FROM).toBe(`DNSBL <delist@${ZONE}>`);
    expect(env.PUBLIC_TRUSTED_PROXIES).toBe('0');
    expect(env.PUBLIC_BASE_URL).toBeDefined();
  });

  it('lets the operator API review the portal\'s requests: same mail identity, same links, nothing more', async () => {
    const fn = s.json.Resources[logicalId(s.stack.publisher.apiFunction)]!;
    const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const granted = grantsOfRole(s.json, role);
    expect(JSON.stringify(granted.get('ses:SendEmail'))).toContain(`identity/${ZONE}`);
    const env = fn.Properties!.Environment.Variables;
    expect(env.MAIL_FROM).toBe(`DNSBL <delist@${ZONE}>`);
    expect(JSON.stringify(env.PUBLIC_BASE_URL)).toBe(JSON.stringify(s.json.Resources[logicalId(portal().function)]!.Properties!.Environment.Variables.PUBLIC_BASE_URL));
    const used = new Set((await usedActionsInChild(['lambdas/handlers/api.ts']))['lambdas/handlers/api.ts']!.actions);
    expect(used.has('ses:SendEmail')).toBe(true);
  });

  it('puts the portal policy and the look-up address in the zone configuration (the TXT carries the link)', () => {
    const env = s.json.Resources[logicalId(s.stack.publisher.streamSyncFunction)]!.Properties!.Environment.Variables;
    const cfg = parseJoinedJson(env[ENV.zoneConfig]);
    expect(cfg.lookupUrl).toBe(`https://${ZONE}/lookup?ip={ip}`);
    expect(cfg.lists[0]).toMatchObject({ selfDelist: 'auto', selfDelistLimit: { count: 2, days: 30 }, automatedSources: ['trap:'] });
    expect(cfg.lists[0].txtTemplate).toBe(`Listed in {list}: {reason} - see https://${ZONE}/lookup?ip={ip}`);
  });

  it('alarms on failed, timed-out or aborted reconcile passes, not on the slice retries a busy lock causes', () => {
    const alarm = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm').find(([id]) => id.includes('ReconcileErrorsAlarm'))![1];
    const metrics = alarm.Properties!.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown } } }>;
    expect(metrics.find((m) => m.Expression)!.Expression).toBe('failed + timedOut + aborted');
    const stats = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric);
    expect(stats.map((m) => m.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const m of stats) {
      expect(m.Namespace).toBe('AWS/States');
      expect(JSON.stringify(m.Dimensions)).toContain(logicalId(s.stack.publisher.reconcileWorkflow.stateMachine));
    }
  });
});
