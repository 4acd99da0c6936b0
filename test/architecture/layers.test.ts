// The layers of lambdas/ only import downwards: core (pure) <- adapters (AWS calls) <- services
// (what the product does) <- handlers/api/cli/mirror (entry points). An upward import (an adapter
// using a service, core reaching an SDK) is how the pure core stops being pure; this holds it.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAMBDAS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lambdas');

/** Which folders of lambdas/ each layer may import from. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: ['core'],
  adapters: ['core', 'adapters'],
  services: ['core', 'adapters', 'services'],
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

describe('lambdas/ layers', () => {
  for (const [layer, allowed] of Object.entries(MAY_IMPORT)) {
    it(`${layer} imports only from ${allowed.join(', ')}${layer === 'core' ? ' and no package but zod' : ''}`, () => {
      const files = tsFiles(path.join(LAMBDAS, layer));
      expect(files.length).toBeGreaterThan(0);
      const wrong: string[] = [];
      for (const f of files) {
        for (const spec of importsOf(f)) {
          if (spec.startsWith('.')) {
            const target = path.relative(LAMBDAS, path.resolve(path.dirname(f), spec)).split(path.sep)[0]!;
            if (!allowed.includes(target)) wrong.push(`${path.relative(LAMBDAS, f)} imports ${spec}`);
          } else if (layer === 'core' && !spec.startsWith('node:') && spec !== 'zod') {
            wrong.push(`${path.relative(LAMBDAS, f)} imports the package ${spec}`);
          }
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
