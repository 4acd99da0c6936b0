#!/usr/bin/env node
// The package's `dnsbl` bin: runs the TypeScript entry through tsx's ESM API (no build step).
import { tsImport } from 'tsx/esm/api';

await tsImport('./dnsbl.ts', import.meta.url);
