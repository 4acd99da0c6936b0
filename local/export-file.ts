// The local stack's export: the table rendered as an rbldnsd file, published with
// write-temp-then-rename so that a running rbldnsd never reads a partial file.
import { mkdir, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { nextSerial, type RenderCounts, renderRbldnsd } from '../lambdas/core/rbldnsd-render.js';
import type { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { scanSortSource } from '../lambdas/services/export-source.js';

export async function exportToFile(
  table: ListingsTable,
  cfg: ZoneConfig,
  path: string,
  previousSerial: number,
): Promise<{ serial: number; bytes: number; entries: number }> {
  const serial = nextSerial(previousSerial, Date.now() / 1000);
  const counts: RenderCounts = { perList: {}, skippedExpired: 0 };
  let text = '';
  for await (const chunk of renderRbldnsd(cfg, { serial, nowSeconds: Date.now() / 1000 }, scanSortSource(table), counts)) text += chunk;
  const entries = Object.values(counts.perList).reduce((a, b) => a + b, 0);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  // rbldnsd notices a new file by mtime (whole seconds) or size: make sure one of them moves.
  const old = await stat(path).catch(() => undefined);
  if (old && old.size === Buffer.byteLength(text) && Math.floor(old.mtimeMs / 1000) === Math.floor(Date.now() / 1000)) {
    const later = new Date(Date.now() + 1000);
    await utimes(tmp, later, later);
  }
  await rename(tmp, path);
  return { serial, bytes: Buffer.byteLength(text), entries };
}
