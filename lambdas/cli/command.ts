// What every dnsbl command shares: the exit codes, the options, the command shape and context, and
// the argument helpers (a core validation's InputError is a usage error, exit 2).
import { resolveExpiry, validateRawText } from '../api/validate.js';
import { InputError } from '../core/input-error.js';
import { ApiCallError, type ApiClient, ApiUnreachableError, InterruptedError } from './client.js';
import type { ProgressStream } from './progress.js';
import type { Credentials } from './sign.js';

export const DEFAULT_API = 'http://127.0.0.1:8080';
export const MAX_BATCH = 1000;

/** The exit codes, one meaning each (documented in usage() and README). */
export const EXIT = {
  /** Done as asked. */
  ok: 0,
  /** The API refused (4xx: invalid, conflict, not allowed), or an import or report had rejected lines. */
  refused: 1,
  /** Bad arguments or input refused locally: nothing was sent. */
  usage: 2,
  /** The API could not be reached or failed (5xx), or the command was interrupted. */
  unavailable: 3,
  /** Nothing to remove: delist / exclude --remove of an entry that does not exist. */
  notFound: 4,
} as const;


export interface CliIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: Record<string, string | undefined>;
  readonly fetch?: typeof fetch;
  /** For tests; otherwise the AWS default chain (env, profile, SSO, instance role …). */
  readonly credentials?: Credentials;
  readonly now?: () => Date;
  /** Aborted on SIGINT/SIGTERM (bin/dnsbl.ts): requests stop, an import reports how to resume. */
  readonly signal?: AbortSignal;
}

export class UsageError extends Error {}

export const OPTIONS = {
  api: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  reason: { type: 'string' },
  expires: { type: 'string' },
  duration: { type: 'string' },
  source: { type: 'string' },
  'if-version': { type: 'string' },
  remove: { type: 'boolean' },
  list: { type: 'string' },
  out: { type: 'string' },
  limit: { type: 'string' },
  'expires-before': { type: 'string' },
  'expires-after': { type: 'string' },
  'batch-size': { type: 'string' },
  'allow-reserved': { type: 'boolean' },
  'from-line': { type: 'string' },
  'dry-run': { type: 'boolean' },
  network: { type: 'string' },
  'no-wait': { type: 'boolean' },
} as const;


export type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export const GLOBAL_OPTIONS = ['api', 'region', 'profile', 'json', 'help'];

export interface Command {
  readonly args: string;
  readonly options: readonly (keyof typeof OPTIONS)[];
  readonly summary: string;
  readonly help: string;
  run(ctx: Ctx, positionals: string[], v: Values): Promise<number>;
}

export interface Ctx {
  readonly io: CliIo;
  /** The command line as given (for the resume hint of an interrupted import). */
  readonly argv: readonly string[];
  readonly json: boolean;
  client(): Promise<ApiClient>;
  out(text: string): void;
  err(text: string): void;
  now(): Date;
}

// ---------------------------------------------------------------- helpers

export function need(positionals: string[], n: number, usage: string): void {
  if (positionals.length < n) throw new UsageError(`missing arguments; usage: dnsbl ${usage}`);
  if (positionals.length > n) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[n])}; usage: dnsbl ${usage}`);
}

/** Runs a core validation; its InputError is a usage error (exit 2). */
export function local<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}

export function expiryFields(v: Values, now: Date): { expiresAt?: string | number; duration?: string } {
  if (v.expires !== undefined && v.duration !== undefined) throw new UsageError('give --expires or --duration, not both');
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (v.duration !== undefined) {
    local(() => resolveExpiry({ duration: v.duration }, '', nowSeconds));
    return { duration: v.duration };
  }
  if (v.expires !== undefined) {
    const value = /^[0-9]+$/.test(v.expires) ? Number(v.expires) : v.expires;
    local(() => resolveExpiry({ expiresAt: value }, '', nowSeconds));
    return { expiresAt: value };
  }
  return {};
}

export function ifVersion(v: Values): { ifVersion?: number } {
  if (v['if-version'] === undefined) return {};
  if (!/^[0-9]{1,15}$/.test(v['if-version'])) throw new UsageError(`--if-version ${JSON.stringify(v['if-version'])} is not a version number`);
  return { ifVersion: Number(v['if-version']) };
}

export function positiveInt(text: string | undefined, name: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return Number(text);
}

export function requireReason(v: Values, command: string): string {
  if (v.reason === undefined) throw new UsageError(`${command} needs --reason "why"`);
  return local(() => validateRawText(v.reason, 'reason', 200));
}

export function showTime(iso: string | null | undefined): string {
  return iso ? iso.replace(/\.000Z$/, 'Z') : 'never';
}

/** The exit code for an error that ended a command. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof ApiUnreachableError || e instanceof InterruptedError) return EXIT.unavailable;
  if (e instanceof ApiCallError) return e.status >= 500 ? EXIT.unavailable : EXIT.refused;
  return EXIT.refused;
}

