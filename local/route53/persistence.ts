// The optional data file: the whole store as JSON, loaded at start and rewritten after every
// accepted change. Writes go to a temporary file in the same directory, are fsynced, then renamed
// over the old file, so a crash leaves either the old or the new state, never half of one.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ChangeRecord, type StoredRRSet, Zone, ZoneStore } from './zone-store.js';

interface ZoneJson {
  id: string;
  name: string;
  callerReference: string;
  comment?: string;
  nameServers: string[];
  createdAt: number;
  rrsets: StoredRRSet[];
}

interface StoreJson {
  format: 'route53-standin/1';
  zones: ZoneJson[];
  changes: ChangeRecord[];
}

/** Keeps the file from growing without bound; GetChange for older ids then gives NoSuchChange. */
const MAX_PERSISTED_CHANGES = 10_000;

export function loadStore(file: string): ZoneStore {
  const store = new ZoneStore();
  if (!existsSync(file)) return store;
  const data = JSON.parse(readFileSync(file, 'utf8')) as StoreJson;
  if (data.format !== 'route53-standin/1') throw new Error(`${file}: not a Route 53 stand-in data file`);
  for (const z of data.zones) {
    const zone = new Zone(z.id, z.name, z.callerReference, z.comment, z.nameServers, z.createdAt);
    zone.apply(z.rrsets.map((r) => ({ name: r.name, type: r.type, rrset: r })));
    store.zones.set(zone.id, zone);
  }
  for (const c of data.changes) store.changes.set(c.id, c);
  return store;
}

let tmpCounter = 0;

export function saveStore(file: string, store: ZoneStore): void {
  const data: StoreJson = {
    format: 'route53-standin/1',
    zones: [...store.zones.values()].map((z) => ({
      id: z.id,
      name: z.name,
      callerReference: z.callerReference,
      ...(z.comment !== undefined ? { comment: z.comment } : {}),
      nameServers: z.nameServers,
      createdAt: z.createdAt,
      rrsets: z.sorted(),
    })),
    changes: [...store.changes.values()].slice(-MAX_PERSISTED_CHANGES),
  };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${++tmpCounter}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(data));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
