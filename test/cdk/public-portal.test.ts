// The stack with the public side (lib/public-portal.ts): its own API without IAM, throttled,
// CloudFront in front (lib/portal-distribution.ts) whose viewer-request function writes the viewer's
// address into a header the regional WAF rate rule and the function count on, a WAF rule that only
// lets the distribution's requests (origin-verify secret) through, the function granted exactly what
// its code calls (from the handler's call graph), SES on the configured identity only, and the
// portal's per-list policy and page address in the zone configuration every function gets.
//
// Two syntheses: the defaults (no lookupUrl: the distribution's page becomes it), and every option
// (own lookupUrl, custom domain, CLOUDFRONT-scope web ACL). Functions are not bundled: that changes
// no resource but the code's asset hash, which nothing here looks at (create-zone.test.ts synthesizes
// the bundled app), and keeps this file well under two minutes on a shared machine.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/adapters/table-schema.js';
import { ConfigError, loadAppConfig } from '../../lib/config.js';
import { ORIGIN_VERIFY_HEADER, VIEWER_IP_FUNCTION_CODE, VIEWER_IP_HEADER } from '../../lib/portal-distribution.js';
import { grantsOfRole, logicalId, parseJoinedJson, resourcesOfType, type Synthesized, synth, ZONE } from './helpers.js';
import { usedActionsInChild } from './used-actions.js';

const MANAGED_CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const MANAGED_ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
const PORTAL_DOMAIN = 'lookup.example.org';
const PORTAL_ACL = 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/portal/abc';

/** An Fn::Join'ed string with each intrinsic written as <Ref:id> / <GetAtt:id.attr> (to see what it names). */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(value);
  return join[1]
    .map((p) => {
      if (typeof p === 'string') return p;
      const o = p as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (o.Ref) return `<Ref:${o.Ref}>`;
      if (o['Fn::GetAtt']) return `<GetAtt:${o['Fn::GetAtt'].join('.')}>`;
      return '<intrinsic>';
    })
    .join(join[0]);
}

function writeConfig(dir: string, name: string, config: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** The CloudFront Function's code run as cloudfront-js-2.0 would: `handler(event)` in a fresh context. */
function viewerRequest(event: unknown): { headers: Record<string, { value: string }> } {
  const handler = runInNewContext(`${VIEWER_IP_FUNCTION_CODE}\nhandler;`, {}) as (e: unknown) => { headers: Record<string, { value: string }> };
  return handler(event);
}

describe('DnsblStack with the public portal', () => {
  let s: Synthesized;
  let t: Synthesized;
  let used: Awaited<ReturnType<typeof usedActionsInChild>>;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dnsbl-portal-cfg-'));
    const list = { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} - see {lookupUrl}', selfDelist: 'auto', selfDelistLimit: { count: 2, days: 30 }, automatedSources: ['trap:'] };
    const defaults = writeConfig(dir, 'defaults.json', { zoneName: ZONE, lists: [list], publicPortal: { mailFrom: `DNSBL <delist@${ZONE}>`, wafRequestsPer5Minutes: 200 } });
    const options = writeConfig(dir, 'options.json', {
      zoneName: ZONE,
      lookupUrl: `https://${ZONE}/lookup?ip={ip}`,
      lists: [list],
      publicPortal: {
        mailFrom: `DNSBL <delist@${ZONE}>`,
        domain: { domainName: PORTAL_DOMAIN, certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' },
        webAclArn: PORTAL_ACL,
      },
    });
    // The handlers' call graphs are walked while the stacks synthesize (each in a child process).
    [s, t, used] = await Promise.all([synth({ 'dnsbl:config': defaults, 'dnsbl:hostedZoneId': '', 'aws:cdk:bundling-stacks': [] }), synth({ 'dnsbl:config': options, 'dnsbl:hostedZoneId': '', 'aws:cdk:bundling-stacks': [] }), usedActionsInChild(['lambdas/handlers/public.ts', 'lambdas/handlers/api.ts'])]);
  }, 900_000);
  afterAll(() => {
    for (const x of [s, t]) if (x) rmSync(x.outdir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const portal = () => s.stack.publisher.publicPortal!;

  it('has no unacknowledged cdk-nag finding, with the defaults or every option', () => {
    for (const x of [s, t]) {
      const open = x.report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName} ${v.violatingConstructs?.map((c) => c.constructPath).join(', ')}`));
      expect(open).toEqual([]);
    }
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
    expect(acl.Properties!.Rules.find((r: { Name: string }) => r.Name === 'PerClientRate')).toMatchObject({
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
      Statement: { RateBasedStatement: { Limit: 200, EvaluationWindowSec: 300 } },
    });
    const assoc = resourcesOfType(s.json, 'AWS::WAFv2::WebACLAssociation').find(([, a]) => JSON.stringify(a.Properties!.WebACLArn).includes(aclId));
    expect(JSON.stringify(assoc![1].Properties!.ResourceArn)).toContain(logicalId(portal().api));
    expect(s.json.Outputs!.PublicPortalUrl).toBeDefined();
  });

  it('grants the portal function exactly what its code calls, SES on the mail identity only', () => {
    const fnId = logicalId(portal().function);
    const fn = s.json.Resources[fnId]!;
    const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const granted = grantsOfRole(s.json, role);
    const calls = new Set(used['lambdas/handlers/public.ts']!.actions);
    const platform = new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    expect([...calls].filter((a) => !granted.has(a)).sort()).toEqual([]);
    expect([...granted.keys()].filter((a) => !calls.has(a) && !platform.has(a)).sort()).toEqual([]);
    expect(JSON.stringify(granted.get('ses:SendEmail'))).toContain(`identity/${ZONE}`);
    const env = fn.Properties!.Environment.Variables;
    expect(env.MAIL_FROM).toBe(`DNSBL <delist@${ZONE}>`);
    expect(env.PUBLIC_TRUSTED_PROXIES).toBe('0');
    // Mailed links go through CloudFront (the execute-api URL refuses requests without its secret).
    expect(joined(env.PUBLIC_BASE_URL)).toBe(`https://<GetAtt:${logicalId(portal().portalDistribution.distribution)}.DomainName>/`);
  });

  it('lets the operator API review the portal\'s requests: same mail identity, same links, nothing more', () => {
    const fn = s.json.Resources[logicalId(s.stack.publisher.apiFunction)]!;
    const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const granted = grantsOfRole(s.json, role);
    expect(JSON.stringify(granted.get('ses:SendEmail'))).toContain(`identity/${ZONE}`);
    const env = fn.Properties!.Environment.Variables;
    expect(env.MAIL_FROM).toBe(`DNSBL <delist@${ZONE}>`);
    expect(JSON.stringify(env.PUBLIC_BASE_URL)).toBe(JSON.stringify(s.json.Resources[logicalId(portal().function)]!.Properties!.Environment.Variables.PUBLIC_BASE_URL));
    expect(used['lambdas/handlers/api.ts']!.actions).toContain('ses:SendEmail');
  });

  it('puts the portal policy and its page, the distribution\'s address, in the zone configuration (no cycle: the synth succeeded)', () => {
    const env = s.json.Resources[logicalId(s.stack.publisher.streamSyncFunction)]!.Properties!.Environment.Variables;
    const cfg = parseJoinedJson(env[ENV.zoneConfig]);
    expect(cfg.lists[0]).toMatchObject({ selfDelist: 'auto', selfDelistLimit: { count: 2, days: 30 }, automatedSources: ['trap:'] });
    const page = `https://<GetAtt:${logicalId(portal().portalDistribution.distribution)}.DomainName>/lookup?ip={ip}`;
    const text = joined(env[ENV.zoneConfig]);
    expect(text).toContain(`"lookupUrl":"${page}"`);
    expect(text).toContain(`"txtTemplate":"Listed in {list}: {reason} - see ${page}"`);
    expect(text).not.toContain('standin');
    // Every function gets the same configuration (the portal's own function included).
    for (const [, fn] of resourcesOfType(s.json, 'AWS::Lambda::Function')) {
      const z = fn.Properties!.Environment?.Variables?.[ENV.zoneConfig];
      if (z !== undefined) expect(joined(z)).toBe(text);
    }
  });

  it('keeps an explicit lookupUrl, and serves the portal on its own domain behind the given CLOUDFRONT web ACL', () => {
    const env = t.json.Resources[logicalId(t.stack.publisher.streamSyncFunction)]!.Properties!.Environment.Variables;
    const cfg = parseJoinedJson(env[ENV.zoneConfig]);
    expect(cfg.lookupUrl).toBe(`https://${ZONE}/lookup?ip={ip}`);
    expect(cfg.lists[0].txtTemplate).toBe(`Listed in {list}: {reason} - see https://${ZONE}/lookup?ip={ip}`);
    const p = t.stack.publisher.publicPortal!;
    const dist = t.json.Resources[logicalId(p.portalDistribution.distribution)]!.Properties!.DistributionConfig;
    expect(dist.Aliases).toEqual([PORTAL_DOMAIN]);
    expect(dist.ViewerCertificate).toMatchObject({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    expect(dist.WebACLId).toBe(PORTAL_ACL);
    const fnEnv = t.json.Resources[logicalId(p.function)]!.Properties!.Environment.Variables;
    expect(fnEnv.PUBLIC_BASE_URL).toBe(`https://${PORTAL_DOMAIN}/`);
    expect(JSON.stringify(t.json.Outputs!.PublicPortalUrl!.Value)).toContain(PORTAL_DOMAIN);
  });

  it('serves the page through CloudFront: the API as origin, HTTPS only, answers never cached, security headers, logs', () => {
    const p = portal();
    const dist = s.json.Resources[logicalId(p.portalDistribution.distribution)]!.Properties!.DistributionConfig;
    expect(dist.Origins).toHaveLength(1);
    const origin = dist.Origins[0];
    expect(joined(origin.DomainName)).toBe(`<Ref:${logicalId(p.api)}>.execute-api.<Ref:AWS::Region>.<Ref:AWS::URLSuffix>`);
    expect(origin.OriginPath).toBe('/public');
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    const b = dist.DefaultCacheBehavior;
    expect(b.ViewerProtocolPolicy).toBe('https-only');
    expect(b.CachePolicyId).toBe(MANAGED_CACHING_DISABLED);
    expect(b.OriginRequestPolicyId).toBe(MANAGED_ALL_VIEWER_EXCEPT_HOST);
    expect(b.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'POST']));
    const fnArn = { 'Fn::GetAtt': [logicalId(p.portalDistribution.viewerIpFunction), 'FunctionARN'] };
    expect(b.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: fnArn }]);
    // Only the stylesheet is cached; its origin requests still carry the viewer's address.
    expect(dist.CacheBehaviors.map((c: { PathPattern: string }) => c.PathPattern)).toEqual(['/site.css']);
    const css = dist.CacheBehaviors[0];
    expect(css.ViewerProtocolPolicy).toBe('https-only');
    expect(css.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: fnArn }]);
    const cssRequests = s.json.Resources[css.OriginRequestPolicyId.Ref]!.Properties!.OriginRequestPolicyConfig;
    expect(cssRequests.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: [VIEWER_IP_HEADER] });
    const headers = s.json.Resources[b.ResponseHeadersPolicyId.Ref]!.Properties!.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity).toMatchObject({ Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(css.ResponseHeadersPolicyId).toEqual(b.ResponseHeadersPolicyId);
    expect(dist.Logging).toMatchObject({ Prefix: 'cloudfront-portal/', Bucket: { 'Fn::GetAtt': [logicalId(s.stack.publisher.logBucket), 'RegionalDomainName'] } });
    expect(joined(s.json.Outputs!.PublicPortalUrl!.Value)).toBe(`https://<GetAtt:${logicalId(p.portalDistribution.distribution)}.DomainName>/`);
  });

  it('lets only the distribution\'s requests through the regional web ACL, and rate-limits them per viewer address', () => {
    const p = portal();
    const secret = logicalId(p.portalDistribution.originVerifySecret);
    const dist = s.json.Resources[logicalId(p.portalDistribution.distribution)]!.Properties!.DistributionConfig;
    const custom = dist.Origins[0].OriginCustomHeaders as Array<{ HeaderName: string; HeaderValue: unknown }>;
    expect(custom.map((h) => h.HeaderName)).toEqual([ORIGIN_VERIFY_HEADER]);
    // A dynamic reference to the generated secret: resolved by CloudFormation, never in the template.
    const reference = `{{resolve:secretsmanager:<Ref:${secret}>:SecretString:::}}`;
    expect(joined(custom[0]!.HeaderValue)).toBe(reference);
    const secretProps = s.json.Resources[secret]!.Properties!;
    expect(secretProps.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(32);
    const rules = resourcesOfType(s.json, 'AWS::WAFv2::WebACL')[0]![1].Properties!.Rules as Array<Record<string, any>>;
    expect(rules.map((r) => r.Name)).toEqual(['OnlyThroughCloudFront', 'PerClientRate', 'AwsCommonRules']);
    const [verify, rate] = rules;
    expect(verify!.Action).toEqual({ Block: { CustomResponse: { ResponseCode: 403 } } });
    const match = verify!.Statement.NotStatement.Statement.ByteMatchStatement;
    expect(match).toMatchObject({ FieldToMatch: { SingleHeader: { Name: ORIGIN_VERIFY_HEADER } }, PositionalConstraint: 'EXACTLY', TextTransformations: [{ Priority: 0, Type: 'NONE' }] });
    expect(joined(match.SearchString)).toBe(reference);
    expect(rate!.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'FORWARDED_IP', ForwardedIPConfig: { HeaderName: VIEWER_IP_HEADER, FallbackBehavior: 'NO_MATCH' } });
    // The function counts on the same header, and on no X-Forwarded-For hop.
    const env = s.json.Resources[logicalId(p.function)]!.Properties!.Environment.Variables;
    expect(env.PUBLIC_CLIENT_IP_HEADER).toBe(VIEWER_IP_HEADER);
    expect(env.PUBLIC_TRUSTED_PROXIES).toBe('0');
    const code = s.json.Resources[logicalId(p.portalDistribution.viewerIpFunction)]!.Properties!;
    expect(code.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(code.FunctionCode).toBe(VIEWER_IP_FUNCTION_CODE);
  });

  it('the viewer-request function overwrites the viewer-address header with event.viewer.ip and drops a client-sent origin secret', () => {
    const header = fc.oneof(fc.constantFrom(VIEWER_IP_HEADER, ORIGIN_VERIFY_HEADER, 'x-forwarded-for', 'accept-language', 'host'), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/));
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.dictionary(header, fc.string({ maxLength: 60 }), { maxKeys: 8 }), (ip, sent) => {
        const headers = Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, { value: v }]));
        const out = viewerRequest({ version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip }, request: { method: 'GET', uri: '/lookup', querystring: {}, headers, cookies: {} } });
        expect(out.headers[VIEWER_IP_HEADER]).toEqual({ value: ip });
        expect(out.headers[ORIGIN_VERIFY_HEADER]).toBeUndefined();
        for (const [k, v] of Object.entries(sent)) if (k !== VIEWER_IP_HEADER && k !== ORIGIN_VERIFY_HEADER) expect(out.headers[k]).toEqual({ value: v });
      }),
      { numRuns: 300 },
    );
    // A client that sends the header with several values still ends with exactly the viewer's address.
    const spoofed = viewerRequest({ viewer: { ip: '198.51.100.7' }, request: { headers: { [VIEWER_IP_HEADER]: { value: '192.0.2.1', multiValue: [{ value: '192.0.2.1' }, { value: '192.0.2.2' }] } } } });
    expect(spoofed.headers[VIEWER_IP_HEADER]).toEqual({ value: '198.51.100.7' });
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

  it('reads the distribution\'s options from the config (domain, CLOUDFRONT web ACL) and refuses a malformed domain', () => {
    // publicPortal is a config-file key (an object).
    const load = (publicPortal: unknown) =>
      loadAppConfig(
        (key) => ({ 'dnsbl:config': 'portal.json', 'dnsbl:hostedZoneId': '' })[key],
        () => JSON.stringify({ zoneName: ZONE, publicPortal }),
      );
    const domain = { domainName: PORTAL_DOMAIN, certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' };
    expect(load({ mailFrom: `DNSBL <delist@${ZONE}>`, domain, webAclArn: PORTAL_ACL }).publisher.publicPortal).toEqual({ mailFrom: `DNSBL <delist@${ZONE}>`, domain, webAclArn: PORTAL_ACL });
    expect(() => load({ mailFrom: `DNSBL <delist@${ZONE}>`, domain: { domainName: PORTAL_DOMAIN } })).toThrow(ConfigError);
    expect(() => load({ mailFrom: `DNSBL <delist@${ZONE}>`, domain: { domainName: PORTAL_DOMAIN } })).toThrow(/publicPortal\.domain must be/);
  });
});
