// Command line of the mirror: `dnsbl-mirror pull --source … --target …` (also reachable as
// `dnsbl mirror pull …`: the dnsbl CLI passes the arguments after "mirror" to `main`).
import { parseArgs } from 'node:util';
import { EXIT, exitCodeOf, mirrorPull, type PullResult } from './pull.js';
import { sourceFor } from './sources.js';

export const USAGE = `usage: dnsbl mirror pull --source URL|s3://bucket/prefix --target FILE [options]

Fetches the newest exported rbldnsd file, verifies it against the manifest and installs it
atomically (temp file + rename in the target's folder) for rbldnsd to reload.

  --source URL         https://cdn.example.net/rbldnsd/bl.example.org/ (or …/manifest.json),
                       or s3://bucket/rbldnsd/bl.example.org
  --target FILE        the file rbldnsd reads, e.g. /var/lib/rbldnsd/bl.example.org.combined
  --state FILE         state (installed serial, sha256, manifest ETag); default FILE.state.json
  --min-serial N       refuse any file with a lower serial (e.g. on a fresh mirror)
  --gzip               download the gzip variant and decompress it
  --timeout SECONDS    limit for fetching the manifest (default 60; a download may take 30 min)
  --s3-endpoint URL    S3-compatible endpoint instead of AWS (s3:// sources)
  --region REGION      AWS region of the bucket (default $AWS_REGION or us-east-1)
  --allow-http         allow a plain http:// source that is not loopback
  --json               print the result as one JSON line
  --quiet              print nothing unless something fails

exit codes: 0 installed or already up to date, 1 unexpected error, 2 usage,
            3 verification failed (checksum, size, truncated, malformed manifest),
            4 stale (older than installed or below --min-serial), 5 fetch failed.
A failure never touches the installed file.
`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const defaultIo: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const args = argv[0] === 'pull' ? argv.slice(1) : [...argv];
  let values: ReturnType<typeof parse>['values'];
  function parse(a: string[]) {
    return parseArgs({
      args: a,
      strict: true,
      allowPositionals: false,
      options: {
        source: { type: 'string' },
        target: { type: 'string' },
        state: { type: 'string' },
        'min-serial': { type: 'string' },
        gzip: { type: 'boolean' },
        timeout: { type: 'string' },
        's3-endpoint': { type: 'string' },
        region: { type: 'string' },
        'allow-http': { type: 'boolean' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  }
  try {
    values = parse(args).values;
  } catch (e) {
    io.err(`dnsbl mirror: ${(e as Error).message}`);
    io.err(USAGE);
    return EXIT.usage;
  }
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const usage = (msg: string) => {
    io.err(`dnsbl mirror: ${msg}`);
    io.err(USAGE);
    return EXIT.usage;
  };
  if (!values.source) return usage('--source is required');
  if (!values.target) return usage('--target is required');
  let minSerial: number | undefined;
  if (values['min-serial'] !== undefined) {
    minSerial = Number(values['min-serial']);
    if (!Number.isInteger(minSerial) || minSerial < 0 || minSerial > 0xffffffff) return usage('--min-serial must be an integer in 0..4294967295');
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const t = Number(values.timeout);
    if (!(t > 0)) return usage('--timeout must be a positive number of seconds');
    timeoutMs = t * 1000;
  }
  let source;
  try {
    source = sourceFor(values.source, {
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(values['allow-http'] ? { allowHttp: true } : {}),
      ...(values['s3-endpoint'] ? { endpoint: values['s3-endpoint'] } : {}),
      ...(values.region ? { region: values.region } : {}),
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  let result: PullResult;
  try {
    result = await mirrorPull({
      source,
      target: values.target,
      ...(values.state ? { state: values.state } : {}),
      ...(minSerial !== undefined ? { minSerial } : {}),
      gzip: values.gzip === true,
    });
  } catch (e) {
    const code = exitCodeOf(e);
    if (values.json) io.out(JSON.stringify({ status: 'failed', exitCode: code, error: (e as Error).message }));
    io.err(`dnsbl mirror: ${(e as Error).message}; the installed file is unchanged`);
    return code;
  }
  if (values.json) io.out(JSON.stringify({ ...result, exitCode: EXIT.ok }));
  else if (!values.quiet) io.out(`dnsbl mirror: ${result.message}`);
  return EXIT.ok;
}
