// What the parts of DnsblPublisher share: how they create functions, record cdk-nag
// acknowledgements, and grant table access.
//
// The parts (PublisherStorage, ExportDistribution, AlarmTopic, ZoneSync, OperatorApi,
// PublisherMonitoring) are constructs of their own: typed props, handles on their resources, the
// cdk-nag acknowledgements next to the resources they concern. They create their CloudFormation
// resources in the publisher's scope (the `scope` their constructor is given), with the ids those
// resources had when DnsblPublisher was one class. Logical ids, and the ids CDK derives from construct
// paths (the Lambda permissions of schedules and API methods, the stream's event source mapping, the
// API deployment), are therefore those deployed stacks already have: an update after the split
// replaces no table, bucket, API or alarm (test/cdk/template-snapshot.test.ts holds the template to
// the one synthesized before the split). A new part with no deployed resources (the public side)
// can create its resources in its own scope.
import { Stack, Token, aws_iam as iam, type aws_lambda as lambda, type aws_lambda_nodejs as nodejs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FunctionSpec } from './zone-canary.js';

/** Records an acknowledged cdk-nag finding on a construct, with its reason (DnsblPublisher.acknowledgements). */
export type Acknowledge = (scope: Construct, id: string, reason: string) => void;

/** Builds a function with the publisher's common settings (bundling, log group, role, tracing, environment). */
export type MakeFunction = (spec: FunctionSpec) => nodejs.NodejsFunction;

/** Lower-cases and drops a trailing dot; refuses tokens (the zone name must be known at synth). */
export function normalizeZoneName(name: string): string {
  if (Token.isUnresolved(name)) throw new Error('zoneName must be a literal string, not a token');
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The logical id of a construct's CloudFormation resource, resolved (for cdk-nag finding ids). */
export function logicalIdOf(c: Construct): string {
  const child = c.node.defaultChild;
  if (!child) throw new Error(`no default child under ${c.node.path}`);
  return Stack.of(c).resolve((child as unknown as { logicalId: string }).logicalId) as string;
}

/** One statement of a function's role policy, with a Sid naming what it is for. */
export function allow(fn: lambda.Function, sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }));
}

/** The ARN of a table's index. */
export const indexArn = (tableArn: string, name: string): string => `${tableArn}/index/${name}`;

export const LISTINGS_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
/** Journal: lock (conditional put, delete), state and idempotency items (get, put), audit trail (query). */
export const JOURNAL_RW = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'];
/** The zone writers also write and clear the sync intent ("STATE"/"sync-intent#<zone>#<n>") in batches. */
export const JOURNAL_RW_SYNC_INTENT = [...JOURNAL_RW, 'dynamodb:BatchWriteItem'];
/**
 * Published table: regions read with Query/BatchGetItem, the seeded marker with GetItem, the census
 * with UpdateItem, rows recorded with BatchWriteItem (puts and deletes). Reconcile also scans it and
 * writes the seeded marker (PutItem).
 */
export const PUBLISHED_RW = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
