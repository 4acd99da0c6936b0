// The snippets of docs/mail-servers.md by name: a `<!-- snippet: NAME -->` line before a fenced
// block. The tests read the document itself, so what a reader copies is what was run.
import { readFileSync } from 'node:fs';

const DOC = readFileSync(new URL('../../docs/mail-servers.md', import.meta.url), 'utf8');

export const SNIPPETS: ReadonlyMap<string, string> = (() => {
  const out = new Map<string, string>();
  for (const m of DOC.matchAll(/<!-- snippet: (\S+) -->\n```[^\n]*\n([\s\S]*?)\n```/g)) out.set(m[1]!, `${m[2]!}\n`);
  return out;
})();

export function snippet(name: string): string {
  const s = SNIPPETS.get(name);
  if (s === undefined) throw new Error(`docs/mail-servers.md has no snippet "${name}" (have: ${[...SNIPPETS.keys()].join(', ')})`);
  return s;
}
