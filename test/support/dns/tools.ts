// Locates the real DNS binaries the tests drive. A missing tool must FAIL the test (never skip),
// with the exact Debian package to install, so CI and laptops fail loudly and fixably.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type ToolName = 'rbldnsd' | 'named' | 'dig' | 'named-checkzone' | 'java' | 'postconf' | 'postmap' | 'spamassassin' | 'rspamadm';

const PACKAGE: Record<ToolName, string> = {
  rbldnsd: 'rbldnsd',
  named: 'bind9',
  dig: 'bind9-dnsutils',
  'named-checkzone': 'bind9-utils', // also pulled in by bind9
  java: 'default-jre-headless',
  postconf: 'postfix',
  postmap: 'postfix',
  spamassassin: 'spamassassin',
  rspamadm: 'rspamd',
};

// Daemons live in sbin, which is often not on a non-root PATH.
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
const found = new Map<string, string>();

export function findTool(name: string): string | undefined {
  const cached = found.get(name);
  if (cached) return cached;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      found.set(name, candidate);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Absolute path of the tool, or an Error naming the apt package that provides it. */
export function requireTool(name: ToolName): string {
  const path = findTool(name);
  if (path) return path;
  const pkg = (PACKAGE as Record<string, string | undefined>)[name];
  const fix = pkg
    ? `apt-get install -y ${pkg}`
    : `apt-get install -y <the Debian package providing ${name}> (see apt-file search ${name})`;
  throw new Error(`Required tool "${name}" not found on PATH or in /usr/sbin. Install it: ${fix} (CI does this in .ci/run).`);
}
