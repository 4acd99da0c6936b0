// The Route 53 stand-in on its own thread, as the real service is on its own machines: the
// benchmark's handler then pays only for its own work (serialising requests, planning), not for
// the stand-in's XML parsing and validation on the same event loop.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startRoute53StandIn, type Route53StandInOptions } from '../local/route53/index.js';

type Request = { id: number; op: 'createZone'; name: string } | { id: number; op: 'stats' } | { id: number; op: 'rrsets'; zoneId: string } | { id: number; op: 'close' };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface Route53Worker {
  endpoint: string;
  /** Where it answers DNS for its zones (UDP and TCP on 127.0.0.1). */
  dnsPort: number;
  createZone(name: string): Promise<string>;
  stats(): Promise<{ requests: Record<string, number>; throttled: number }>;
  /** The listing rrsets of the zone (A, TXT, CAA). */
  rrsets(zoneId: string): Promise<Array<{ name: string; type: string }>>;
  close(): Promise<void>;
}

export async function startRoute53Worker(opts: Route53StandInOptions): Promise<Route53Worker> {
  // Through a JavaScript entry that registers tsx's loader in the worker thread.
  const worker = new Worker(new URL('./route53-worker-boot.mjs', import.meta.url), { workerData: opts });
  let next = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  worker.on('message', (m: { id: number; result: unknown }) => {
    waiting.get(m.id)?.(m.result);
    waiting.delete(m.id);
  });
  const call = <T>(req: WithoutId<Request>): Promise<T> =>
    new Promise((resolve) => {
      const id = ++next;
      waiting.set(id, resolve as (v: unknown) => void);
      worker.postMessage({ ...req, id });
    });
  const { endpoint, dnsPort } = await new Promise<{ endpoint: string; dnsPort: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    endpoint,
    dnsPort,
    createZone: (name) => call({ op: 'createZone', name }),
    stats: () => call({ op: 'stats' }),
    rrsets: (zoneId) => call({ op: 'rrsets', zoneId }),
    close: async () => {
      await call({ op: 'close' });
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const standIn = await startRoute53StandIn(workerData as Route53StandInOptions);
  port.postMessage({ endpoint: standIn.endpoint, dnsPort: standIn.dnsPort });
  port.on('message', async (req: Request) => {
    let result: unknown;
    if (req.op === 'createZone') result = await standIn.createZone(req.name);
    else if (req.op === 'stats') result = standIn.stats();
    else if (req.op === 'rrsets') {
      result = standIn
        .rrsets(req.zoneId)
        .filter((r) => ['A', 'TXT', 'CAA'].includes(r.type))
        .map((r) => ({ name: r.name, type: r.type }));
    } else await standIn.close();
    port.postMessage({ id: req.id, result });
  });
}
