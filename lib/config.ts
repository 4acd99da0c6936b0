// Reads the app's configuration from CDK context (cdk.json, `-c key=value`) and an optional JSON
// config file (context `dnsbl:config`). Keys a config file defines win over context values; context
// fills in the rest. cdk.json names no zone on purpose: a deploy that does not say which zone it is
// for fails (ConfigError) instead of creating a zone for a placeholder name.
//
//   npx cdk deploy -c dnsbl:zoneName=bl.example.org -c dnsbl:alarmEmail=ops@example.org
//   npx cdk deploy -c dnsbl:config=dnsbl.config.json
//
// Config file (every key optional except zoneName, unless given as context):
//   { "zoneName": "bl.example.org", "hostedZoneId": "Z…", "alarmEmail": "ops@example.org",
//     "lists": [{ "name": "spam", "code": "127.0.0.2", "txtTemplate": "Listed in {list}: {reason}", "route53Txt": true,
//                 "selfDelist": "auto", "selfDelistLimit": { "count": 2, "days": 30 }, "selfDelistDnsProof": false, "automatedSources": ["trap:"] }],
//     "ttl": 300, "negativeTtl": 300, "ipv4ViaIpv6": false, "nameservers": ["ns1.example.org"], "hostmaster": "hostmaster@example.org",
//     "reconcileSchedule": "rate(15 minutes)", "reconcileMaxAgeMinutes": 30, "reconcileReadShare": 0.5,
//     "quotaSchedule": "rate(5 minutes)", "exportSchedule": "rate(5 minutes)", "sweeperSchedule": "rate(1 minute)",
//     "canarySchedule": "rate(5 minutes)", "canaryMaxCalls": 20,
//     "apiThrottle": { "rateLimit": 50, "burstLimit": 100 }, "removalPolicy": "retain",
//     "exportPrefix": "rbldnsd", "mirrorAccountIds": ["111122223333"],
//     "exportDomain": { "domainName": "mirror.example.org", "certificateArn": "arn:aws:acm:us-east-1:…" },
//     "exportWebAclArn": "…", "apiWebAclArn": "…", "stackName": "Dnsbl-bl-example-org",
//     "evidence": { "allow": ["192.0.2.0/24"], "allowObject": "s3://b/allow.txt", "infrastructure": ["198.51.100.25"],
//                   "pfx2asObject": "s3://b/pfx2as.txt", "reporterRoles": ["trap-feed"],
//                   "mail": { "recipients": ["abuse@bl.example.org", {"address": "trap@bl.example.org", "kind": "spamtrap"}],
//                             "trustedRelays": ["198.51.100.25"], "retentionDays": 30 } } }
//   (lists[i].evidence: the list's evidence policy, lambdas/core/evidence-policy.ts; "evidence": lib/evidence.ts)
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, aws_events as events, RemovalPolicy } from 'aws-cdk-lib';
import type { ListDef } from '../lambdas/core/listing.js';
import type { DnsblPublisherProps, PublicPortalOptions } from './dnsbl-publisher.js';
import type { EvidenceOptions } from './evidence.js';

export const CONTEXT = {
  zoneName: 'dnsbl:zoneName',
  hostedZoneId: 'dnsbl:hostedZoneId',
  alarmEmail: 'dnsbl:alarmEmail',
  lists: 'dnsbl:lists',
  config: 'dnsbl:config',
  stackName: 'dnsbl:stackName',
} as const;

export interface DnsblAppConfig {
  readonly stackName: string;
  readonly publisher: DnsblPublisherProps;
}

const FILE_KEYS = new Set([
  'zoneName', 'hostedZoneId', 'alarmEmail', 'lists', 'ttl', 'negativeTtl', 'ipv4ViaIpv6', 'nameservers', 'hostmaster',
  'reconcileSchedule', 'reconcileMaxAgeMinutes', 'reconcileReadShare', 'quotaSchedule', 'exportSchedule', 'sweeperSchedule', 'canarySchedule', 'canaryMaxCalls', 'apiThrottle', 'removalPolicy', 'exportPrefix',
  'mirrorAccountIds', 'exportDomain', 'exportWebAclArn', 'apiWebAclArn', 'stackName', 'lookupUrl', 'publicPortal', 'evidence',
]);

/** What a deploy without a configured zone says (bin/app.ts prints it and exits 1). */
export const NO_ZONE_MESSAGE =
  `no DNSBL zone configured (cdk.json names none on purpose). Say which zone to deploy: ` +
  `npx cdk deploy -c ${CONTEXT.zoneName}=bl.example.org (your zone), or put "zoneName" in a JSON file ` +
  `and pass it with -c ${CONTEXT.config}=dnsbl.config.json (see README "Deploy to AWS")`;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Get = (key: string) => unknown;

/** Builds the stack name and construct props from context (get) and the optional config file. */
export function loadAppConfig(get: Get, readFile: (file: string) => string = (f) => readFileSync(f, 'utf8')): DnsblAppConfig {
  const file = loadConfigFile(get, readFile);
  const pick = (fileKey: string, contextKey?: string): unknown => {
    if (file[fileKey] !== undefined) return file[fileKey];
    if (!contextKey) return undefined;
    const v = get(contextKey);
    return v === '' || v === null ? undefined : v;
  };

  const zoneName = optString(pick('zoneName', CONTEXT.zoneName), 'zoneName');
  if (!zoneName) throw new ConfigError(NO_ZONE_MESSAGE);
  const lists = parseLists(pick('lists', CONTEXT.lists));
  const publisher: DnsblPublisherProps = {
    zoneName,
    ...defined('hostedZoneId', optString(pick('hostedZoneId', CONTEXT.hostedZoneId), 'hostedZoneId')),
    ...defined('alarmEmail', optString(pick('alarmEmail', CONTEXT.alarmEmail), 'alarmEmail')),
    ...defined('lists', lists),
    ...defined('ttl', optInt(pick('ttl'), 'ttl')),
    ...defined('negativeTtl', optInt(pick('negativeTtl'), 'negativeTtl')),
    ...defined('ipv4ViaIpv6', optBool(pick('ipv4ViaIpv6'), 'ipv4ViaIpv6')),
    ...defined('nameservers', optStringArray(pick('nameservers'), 'nameservers')),
    ...defined('hostmaster', optString(pick('hostmaster'), 'hostmaster')),
    ...defined('reconcileSchedule', optSchedule(pick('reconcileSchedule'), 'reconcileSchedule')),
    ...defined('reconcileMaxAge', optMinutes(pick('reconcileMaxAgeMinutes'), 'reconcileMaxAgeMinutes')),
    ...defined('reconcileReadShare', optShare(pick('reconcileReadShare'), 'reconcileReadShare')),
    ...defined('quotaSchedule', optSchedule(pick('quotaSchedule'), 'quotaSchedule')),
    ...defined('exportSchedule', optSchedule(pick('exportSchedule'), 'exportSchedule')),
    ...defined('sweeperSchedule', optSchedule(pick('sweeperSchedule'), 'sweeperSchedule')),
    ...defined('canarySchedule', optSchedule(pick('canarySchedule'), 'canarySchedule')),
    ...defined('canaryMaxCalls', optInt(pick('canaryMaxCalls'), 'canaryMaxCalls')),
    ...defined('apiThrottle', optThrottle(pick('apiThrottle'))),
    ...defined('removalPolicy', optRemovalPolicy(pick('removalPolicy'))),
    ...defined('exportPrefix', optString(pick('exportPrefix'), 'exportPrefix')),
    ...defined('mirrorAccountIds', optStringArray(pick('mirrorAccountIds'), 'mirrorAccountIds')),
    ...defined('exportDomain', optExportDomain(pick('exportDomain'))),
    ...defined('exportWebAclArn', optString(pick('exportWebAclArn'), 'exportWebAclArn')),
    ...defined('apiWebAclArn', optString(pick('apiWebAclArn'), 'apiWebAclArn')),
    ...defined('lookupUrl', optString(pick('lookupUrl'), 'lookupUrl')),
    ...defined('publicPortal', optPublicPortal(pick('publicPortal'))),
    ...defined('evidence', optEvidence(pick('evidence'))),
  };
  const stackName =
    optString(pick('stackName', CONTEXT.stackName), 'stackName') ?? `Dnsbl-${zoneName.toLowerCase().replace(/\.$/, '').replace(/[^a-z0-9-]/g, '-')}`;
  return { stackName, publisher };
}

function loadConfigFile(get: Get, readFile: (file: string) => string): Record<string, unknown> {
  const file = get(CONTEXT.config);
  if (file === undefined || file === '' || file === null) return {};
  if (typeof file !== 'string') throw new ConfigError(`${CONTEXT.config} must be a path to a JSON file`);
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = readFile(resolved);
  } catch (e) {
    throw new ConfigError(`cannot read config file ${resolved}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${resolved} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${resolved} must hold a JSON object`);
  }
  const unknown = Object.keys(parsed).filter((k) => !FILE_KEYS.has(k));
  if (unknown.length > 0) throw new ConfigError(`config file ${resolved}: unknown key(s) ${unknown.join(', ')}`);
  return parsed as Record<string, unknown>;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${field} must be a string`);
  return v === '' ? undefined : v;
}

function optBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${field} must be true or false`);
  return v;
}

function optInt(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ConfigError(`${field} must be an integer`);
  return n;
}

function jsonIfString(v: unknown, field: string): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new ConfigError(`${field} is not valid JSON: ${(e as Error).message}`);
  }
}

function optMinutes(v: unknown, field: string): Duration | undefined {
  const n = optInt(v, field);
  if (n === undefined) return undefined;
  if (n < 1) throw new ConfigError(`${field} must be at least 1 (minutes)`);
  return Duration.minutes(n);
}

/** A share of the account's Route 53 rate: more than 0, at most 1. */
function optShare(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new ConfigError(`${field} must be a number more than 0 and at most 1 (got ${JSON.stringify(v)})`);
  return v;
}

function optStringArray(v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = typeof v === 'string' && !v.trim().startsWith('[') ? v.split(',').map((s) => s.trim()).filter(Boolean) : jsonIfString(v, field);
  if (!Array.isArray(arr) || arr.some((s) => typeof s !== 'string')) throw new ConfigError(`${field} must be a list of strings`);
  return arr as string[];
}

/** Lists as an array or its JSON text (context values given with -c are strings). */
export function parseLists(v: unknown): ListDef[] | undefined {
  if (v === undefined) return undefined;
  const arr = jsonIfString(v, 'lists');
  if (!Array.isArray(arr)) throw new ConfigError('lists must be a JSON array of {name, code, txtTemplate}');
  return arr.map((l, i) => {
    if (typeof l !== 'object' || l === null) throw new ConfigError(`lists[${i}] must be an object`);
    const { name, code, txtTemplate, route53Txt, selfDelist, selfDelistLimit, selfDelistDnsProof, automatedSources, evidence, ...rest } = l as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new ConfigError(`lists[${i}]: unknown key(s) ${Object.keys(rest).join(', ')}`);
    if (typeof name !== 'string' || typeof code !== 'string' || typeof txtTemplate !== 'string') {
      throw new ConfigError(`lists[${i}] needs string name, code and txtTemplate`);
    }
    if (route53Txt !== undefined && typeof route53Txt !== 'boolean') {
      throw new ConfigError(`lists[${i}].route53Txt must be true or false (false: A records only in Route 53)`);
    }
    // The portal's per-list keys; validateZoneConfig checks their values (core/listing.ts).
    const portal = { selfDelist, selfDelistLimit, selfDelistDnsProof, automatedSources, evidence };
    const given = Object.fromEntries(Object.entries(portal).filter(([, v]) => v !== undefined)) as Partial<ListDef>;
    return { name, code, txtTemplate, ...(route53Txt === undefined ? {} : { route53Txt }), ...given };
  });
}

function optSchedule(v: unknown, field: string): events.Schedule | undefined {
  const s = optString(v, field);
  if (s === undefined) return undefined;
  if (!/^(rate|cron)\(.+\)$/.test(s)) throw new ConfigError(`${field} must be an EventBridge expression like "rate(5 minutes)"`);
  return events.Schedule.expression(s);
}

function optThrottle(v: unknown): { rateLimit: number; burstLimit: number } | undefined {
  if (v === undefined) return undefined;
  const t = jsonIfString(v, 'apiThrottle') as Record<string, unknown> | null;
  if (typeof t !== 'object' || t === null || typeof t.rateLimit !== 'number' || typeof t.burstLimit !== 'number') {
    throw new ConfigError('apiThrottle must be {"rateLimit": number, "burstLimit": number}');
  }
  return { rateLimit: t.rateLimit, burstLimit: t.burstLimit };
}

function optRemovalPolicy(v: unknown): RemovalPolicy | undefined {
  const s = optString(v, 'removalPolicy');
  if (s === undefined) return undefined;
  if (s === 'retain') return RemovalPolicy.RETAIN;
  if (s === 'destroy') return RemovalPolicy.DESTROY;
  throw new ConfigError('removalPolicy must be "retain" or "destroy"');
}

function optExportDomain(v: unknown, name = 'exportDomain'): { domainName: string; certificateArn: string } | undefined {
  if (v === undefined) return undefined;
  const d = jsonIfString(v, name) as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || typeof d.domainName !== 'string' || typeof d.certificateArn !== 'string') {
    throw new ConfigError(`${name} must be {"domainName": string, "certificateArn": string}`);
  }
  return { domainName: d.domainName, certificateArn: d.certificateArn };
}

/** `publicPortal`: {"mailFrom": "DNSBL <delist@bl.example.org>", "sesIdentity"?, "sesConfigurationSet"?, "baseUrl"?, "domain"?, "webAclArn"?, "wafRequestsPer5Minutes"?}. */
function optPublicPortal(v: unknown): PublicPortalOptions | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('publicPortal must be an object like {"mailFrom": "DNSBL <delist@bl.example.org>"}');
  const { mailFrom, sesIdentity, sesConfigurationSet, baseUrl, domain, webAclArn, wafRequestsPer5Minutes, ...rest } = v as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ConfigError(`publicPortal: unknown key(s) ${unknown.join(', ')}`);
  const from = optString(mailFrom, 'publicPortal.mailFrom');
  if (from === undefined) throw new ConfigError('publicPortal.mailFrom is required: the SES identity mails are sent as, e.g. "DNSBL <delist@bl.example.org>"');
  return {
    mailFrom: from,
    ...defined('sesIdentity', optString(sesIdentity, 'publicPortal.sesIdentity')),
    ...defined('sesConfigurationSet', optString(sesConfigurationSet, 'publicPortal.sesConfigurationSet')),
    ...defined('baseUrl', optString(baseUrl, 'publicPortal.baseUrl')),
    // The portal's CloudFront distribution: a custom domain (ACM certificate in us-east-1), a CLOUDFRONT-scope web ACL.
    ...defined('domain', optExportDomain(domain, 'publicPortal.domain')),
    ...defined('webAclArn', optString(webAclArn, 'publicPortal.webAclArn')),
    ...defined('wafRequestsPer5Minutes', optInt(wafRequestsPer5Minutes, 'publicPortal.wafRequestsPer5Minutes')),
  };
}

const EVIDENCE_KEYS = ['allow', 'allowObject', 'infrastructure', 'pfx2asObject', 'reporterRoles', 'mail'];
const EVIDENCE_MAIL_KEYS = ['recipients', 'trustedRelays', 'retentionDays'];

/** `evidence`: its shape here; its values (networks, S3 addresses, kinds) are checked by lib/evidence.ts at synth. */
function optEvidence(v: unknown): EvidenceOptions | undefined {
  if (v === undefined) return undefined;
  const o = jsonIfString(v, 'evidence');
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ConfigError('evidence must be an object like {"allow": ["192.0.2.0/24"], "mail": {"recipients": ["abuse@bl.example.org"]}}');
  const rec = o as Record<string, unknown>;
  const unknown = Object.keys(rec).filter((k) => !EVIDENCE_KEYS.includes(k));
  if (unknown.length > 0) throw new ConfigError(`evidence: unknown key(s) ${unknown.join(', ')}; allowed: ${EVIDENCE_KEYS.join(', ')}`);
  let mail: EvidenceOptions['mail'];
  if (rec.mail !== undefined) {
    const m = rec.mail as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ConfigError('evidence.mail must be an object like {"recipients": ["abuse@bl.example.org"]}');
    const bad = Object.keys(m).filter((k) => !EVIDENCE_MAIL_KEYS.includes(k));
    if (bad.length > 0) throw new ConfigError(`evidence.mail: unknown key(s) ${bad.join(', ')}; allowed: ${EVIDENCE_MAIL_KEYS.join(', ')}`);
    if (!Array.isArray(m.recipients)) throw new ConfigError('evidence.mail.recipients must be a list of addresses (or {"address", "kind"} objects)');
    mail = {
      recipients: m.recipients as Array<string | { address: string; kind: string }>,
      ...defined('trustedRelays', optStringArray(m.trustedRelays, 'evidence.mail.trustedRelays')),
      ...defined('retentionDays', optInt(m.retentionDays, 'evidence.mail.retentionDays')),
    };
  }
  return {
    ...defined('allow', optStringArray(rec.allow, 'evidence.allow')),
    ...defined('allowObject', optString(rec.allowObject, 'evidence.allowObject')),
    ...defined('infrastructure', optStringArray(rec.infrastructure, 'evidence.infrastructure')),
    ...defined('pfx2asObject', optString(rec.pfx2asObject, 'evidence.pfx2asObject')),
    ...defined('reporterRoles', optStringArray(rec.reporterRoles, 'evidence.reporterRoles')),
    ...defined('mail', mail),
  };
}
