#!/usr/bin/env -S npx tsx
// Mirror CLI: `tsx bin/dnsbl-mirror.ts pull --source https://cdn.example.net/rbldnsd/bl.example.org/ \
//   --target /var/lib/rbldnsd/bl.example.org.combined`. Exit codes: see lambdas/mirror/cli.ts and docs/mirror.md.
import { main } from '../lambdas/mirror/cli.js';

process.exitCode = await main(process.argv.slice(2));
