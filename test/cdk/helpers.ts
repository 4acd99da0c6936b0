// Shared by the CDK tests: synthesize one app variant (once per test file), read its template and
// validation report, and walk IAM policy documents.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createApp } from '../../lib/app.js';
import type { DnsblStack } from '../../lib/dnsbl-stack.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const ZONE = 'bl.example.org';
export const IMPORTED_ZONE_ID = 'Z0123456789ABCDEFGHIJ';

export interface Synthesized {
  app: App;
  stack: DnsblStack;
  assembly: CloudAssembly;
  template: Template;
  json: CfnTemplate;
  report: ValidationReport;
  synthMs: number;
  outdir: string;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

export interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    conclusion: string;
    violations: Array<{ ruleName: string; severity: string; description: string; violatingConstructs?: Array<{ constructPath: string }> }>;
    suppressedViolations?: Array<{ ruleName: string; acknowledgedId?: string; reason?: string }>;
  }>;
}

/**
 * Synthesizes the app exactly as bin/app.ts does (cdk-nag included, functions bundled), with the
 * given context. The synth runs in a child process (synth-child.ts): bundling and synthesis are
 * synchronous and take tens of seconds on a loaded machine, which would block this test's event
 * loop past vitest's RPC timeout. The stack's objects (for logical ids and construct properties)
 * come from the same app built here without bundling; logical ids do not depend on bundling.
 */
export async function synth(context: Record<string, unknown>): Promise<Synthesized> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dnsbl-cdk-'));
  const tsx = path.join(REPO, 'node_modules', '.bin', 'tsx');
  const { stdout } = await promisify(execFile)(tsx, [path.join(REPO, 'test', 'cdk', 'synth-child.ts'), outdir, JSON.stringify(context)], {
    cwd: REPO,
    maxBuffer: 16 << 20,
    timeout: 600_000,
  });
  const { synthMs } = JSON.parse(stdout) as { synthMs: number };
  const { app, stack } = createApp({ outdir: mkdtempSync(path.join(tmpdir(), 'dnsbl-cdk-objects-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const assembly = new CloudAssembly(outdir);
  const json = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  const reportFile = path.join(assembly.directory, 'validation-report.json');
  const report: ValidationReport = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : { pluginReports: [] };
  return { app, stack, assembly, template: Template.fromJSON(json), json, report, synthMs, outdir };
}

export function logicalId(c: IConstruct): string {
  const child = CfnElement.isCfnElement(c) ? c : c.node.defaultChild;
  if (!child || !CfnElement.isCfnElement(child)) throw new Error(`${c.node.path} has no CfnElement`);
  return Stack.of(c).getLogicalId(child);
}

export function resourcesOfType(json: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every statement of every AWS::IAM::Policy, with the roles it is attached to. */
export function policyStatements(json: CfnTemplate): Array<{ policy: string; roles: string[]; statement: Statement }> {
  const out: Array<{ policy: string; roles: string[]; statement: Statement }> = [];
  for (const [id, r] of resourcesOfType(json, 'AWS::IAM::Policy')) {
    const roles = asArray(r.Properties?.Roles as Array<{ Ref: string }>).map((x) => x.Ref);
    for (const statement of asArray(r.Properties?.PolicyDocument?.Statement as Statement[])) out.push({ policy: id, roles, statement });
  }
  return out;
}

/** Statements attached to a role (by its logical id). */
export function statementsOfRole(json: CfnTemplate, roleLogicalId: string): Statement[] {
  return policyStatements(json)
    .filter((s) => s.roles.includes(roleLogicalId))
    .map((s) => s.statement);
}

/** action -> resources it is allowed on, for one role (resources as canonical JSON). */
export function grantsOfRole(json: CfnTemplate, roleLogicalId: string): Map<string, string[]> {
  const grants = new Map<string, string[]>();
  for (const s of statementsOfRole(json, roleLogicalId)) {
    for (const a of asArray(s.Action)) {
      const list = grants.get(a) ?? [];
      for (const r of asArray(s.Resource as unknown)) list.push(JSON.stringify(r));
      grants.set(a, list);
    }
  }
  return grants;
}

/** Actions that have no resource-level permissions and may therefore use Resource "*". */
export const RESOURCE_STAR_ALLOWED = new Set([
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'dynamodb:ListStreams', 'route53:TestDNSAnswer',
  // Step Functions' X-Ray tracing and log delivery (the reconcile workflow): no resource-level permissions
  // (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy).
  'xray:GetSamplingRules', 'xray:GetSamplingTargets',
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
  'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
]);

/**
 * Removes every acknowledgement from the construct tree and runs the AwsSolutions pack directly:
 * the findings the acknowledgements hide. Call after every other assertion on the app (it mutates).
 */
export function findingsWithoutAcknowledgements(app: App): Array<{ id: string; path: string }> {
  const strip = (c: IConstruct) => {
    const node = c.node as unknown as { _metadata?: Array<{ type: string }> };
    if (node._metadata) node._metadata = node._metadata.filter((m) => m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    for (const child of c.node.children) strip(child);
  };
  strip(app);
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
}

/** Parses an Fn::Join'ed JSON string, replacing every intrinsic by a placeholder string. */
export function parseJoinedJson(value: unknown, placeholder = 'TOKEN'): any {
  if (typeof value === 'string') return JSON.parse(value);
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`not a string or Fn::Join: ${JSON.stringify(value)}`);
  return JSON.parse(join[1].map((p) => (typeof p === 'string' ? p : placeholder)).join(join[0]));
}
