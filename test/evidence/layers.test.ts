// lambdas/evidence is an entry-point folder, like api and cli: it may use core, adapters, services
// and the API's write service, never the handlers; core, adapters and services never import it (the
// architecture test holds that part). Its one use of cli/ is the CSV splitter of import files.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAMBDAS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lambdas');

describe('lambdas/evidence layer', () => {
  it('imports only core, adapters, services, api, itself and cli/import-file', () => {
    const wrong: string[] = [];
    for (const f of readdirSync(path.join(LAMBDAS, 'evidence')).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(path.join(LAMBDAS, 'evidence', f), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
        const target = path.relative(LAMBDAS, path.resolve(LAMBDAS, 'evidence', m[1]!));
        const top = target.split(path.sep)[0]!;
        if (['core', 'adapters', 'services', 'api', 'evidence'].includes(top) || target === path.join('cli', 'import-file.js')) continue;
        wrong.push(`evidence/${f} imports ${m[1]}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
