// The `dnsbl` CLI entry (see lambdas/cli/main.ts). Run through bin/dnsbl.mjs, or `npx tsx bin/dnsbl.ts`.
import { runCli } from '../lambdas/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
