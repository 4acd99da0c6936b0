// A CloudFront stand-in for the mirror tests: serves the export folder from S3 over HTTP with ETag /
// If-None-Match on the manifest, and can misbehave on request: cut a download short, corrupt a
// byte, trickle the data slowly, or serve an old manifest.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { getBytes } from './support.js';

export type StubMode = 'normal' | 'truncate' | 'short' | 'corrupt' | 'slow';

export interface HttpStub {
  /** Base URL of the zone folder (ends with "/"). */
  readonly url: string;
  mode: StubMode;
  /** Served instead of the real manifest when set. */
  manifestOverride?: string;
  readonly requests: Array<{ path: string; status: number }>;
  stop(): Promise<void>;
}

export async function startHttpStub(client: S3Client, folder: string): Promise<HttpStub> {
  const stub: HttpStub = {
    url: '',
    mode: 'normal',
    requests: [],
    stop: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.replace(/^\/zone\//, ''));
      const done = (status: number) => stub.requests.push({ path: name, status });
      try {
        if (name === 'manifest.json') {
          const body = stub.manifestOverride !== undefined ? Buffer.from(stub.manifestOverride) : (await getBytes(client, `${folder}/manifest.json`)).body;
          const etag = `"${createHash('md5').update(body).digest('hex')}"`;
          if (req.headers['if-none-match'] === etag) {
            res.writeHead(304, { etag });
            res.end();
            return done(304);
          }
          res.writeHead(200, { 'content-type': 'application/json', etag, 'content-length': body.length });
          res.end(body);
          return done(200);
        }
        let body: Buffer;
        try {
          body = (await getBytes(client, `${folder}/${name}`)).body;
        } catch {
          res.writeHead(404);
          res.end();
          return done(404);
        }
        if (stub.mode === 'short') {
          // No length announced (chunked); the body just ends early, cleanly.
          res.writeHead(200);
          res.end(body.subarray(0, Math.floor(body.length / 2)));
          return done(200);
        }
        res.writeHead(200, { 'content-length': body.length });
        done(200);
        switch (stub.mode) {
          case 'truncate':
            // Headers promise the whole file; the connection dies half-way.
            res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
            return;
          case 'corrupt': {
            const bad = Buffer.from(body);
            const i = Math.floor(bad.length / 2);
            bad[i] = bad[i]! ^ 0x01;
            res.end(bad);
            return;
          }
          case 'slow':
            for (let i = 0; i < body.length; i += 4096) {
              res.write(body.subarray(i, i + 4096));
              await new Promise((r) => setTimeout(r, 3));
            }
            res.end();
            return;
          default:
            res.end(body);
        }
      } catch (e) {
        res.writeHead(500);
        res.end(String(e));
        done(500);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(stub, {
    url: `http://127.0.0.1:${port}/zone/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return stub;
}
