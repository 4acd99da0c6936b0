// dnsbl: the operator CLI. Talks to the API (signed with SigV4 for a deployed API, unsigned for the
// local stack); validates input locally with core first, so bad input never reaches the API.
// Exit codes (EXIT in command.ts; README "CLI"): 0 done; 1 the API refused (4xx: invalid, conflict) or an
// import had rejected lines; 2 usage error or input refused locally (nothing sent); 3 the API could
// not be reached, failed (5xx) or the command was interrupted (an import says how far it got and
// how to resume); 4 nothing to remove (delist / exclude --remove of an entry that does not exist).
// Each command group lives in its own file; this one only wires them (the dispatch table below),
// parses the options and turns errors into exit codes.
import { main as mirrorMain } from '../mirror/cli.js';
import { parseArgs } from 'node:util';
import { ApiCallError, ApiClient } from './client.js';
import { type CliIo, type Command, type Ctx, DEFAULT_API, EXIT, exitCodeOf, GLOBAL_OPTIONS, need, OPTIONS, UsageError, type Values } from './command.js';
import { exportCommand } from './export-command.js';
import { importCommand } from './import-command.js';
import { delistCommand, excludeCommand, listCommand } from './listing-commands.js';
import { policyCommand } from './policy-command.js';
import { browseCommand, historyCommand, listsCommand, lookupCommand } from './read-commands.js';
import { reconcileCommand } from './reconcile-command.js';
import { reportCommand } from './report-command.js';
import { requestsCommand } from './requests-command.js';
import { statusCommand } from './status-command.js';

// What commands import from here (the CLI's shared names live in command.ts).
export { type CliIo, DEFAULT_API, EXIT, MAX_BATCH, UsageError } from './command.js';

/** One line per command, in the order usage() lists them. */
const commands: Record<string, Command> = {
  reconcile: reconcileCommand,
  lists: listsCommand,
  list: listCommand,
  delist: delistCommand,
  exclude: excludeCommand,
  lookup: lookupCommand,
  history: historyCommand,
  browse: browseCommand,
  import: importCommand,
  export: exportCommand,
  requests: requestsCommand,
  report: reportCommand,
  policy: policyCommand,
  status: { ...statusCommand, run: async (ctx, p) => (need(p, 0, 'status'), statusCommand.run(ctx)) },
};

// ---------------------------------------------------------------- entry

function usage(): string {
  const lines = [
    'usage: dnsbl <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`),
    '',
    'global options:',
    `  --api URL       the API (default $DNSBL_API or ${DEFAULT_API}); https URLs are signed with SigV4`,
    '  --region R      AWS region for signing (default: from the execute-api URL)',
    '  --profile P     AWS profile for credentials (default: the standard chain)',
    '  --json          print JSON',
    '  -h, --help      this help, or a command\'s: dnsbl <command> --help',
    '',
    '  mirror   pull the newest exported rbldnsd file (dnsbl mirror pull --help)',
    '',
    'exit codes:',
    `  ${EXIT.ok}  done`,
    `  ${EXIT.refused}  the API refused (invalid, conflict, not allowed), or an import or report had rejected lines`,
    `  ${EXIT.usage}  usage error or input refused locally: nothing was sent`,
    `  ${EXIT.unavailable}  the API could not be reached or failed (5xx), or interrupted; an import says how to resume`,
    `  ${EXIT.notFound}  nothing to remove: delist or exclude --remove of an entry that does not exist`,
  ];
  return lines.join('\n');
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `dnsbl mirror pull …` runs on mirrors and has its own options (lambdas/mirror/cli.ts).
  if (argv[0] === 'mirror') return mirrorMain(argv.slice(1));
  const out = (t: string) => void io.stdout.write(`${t}\n`);
  const err = (t: string) => void io.stderr.write(`${t}\n`);
  let values: Values;
  let positionals: string[];
  try {
    const r = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    values = r.values as Values;
    positionals = r.positionals;
  } catch (e) {
    err(`dnsbl: ${(e as Error).message}`);
    err('run dnsbl --help for usage');
    return EXIT.usage;
  }
  const name = positionals[0];
  if (name === undefined) {
    if (values.help) {
      out(usage());
      return EXIT.ok;
    }
    err(usage());
    return EXIT.usage;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    err(`dnsbl: unknown command ${JSON.stringify(name)}`);
    err(usage());
    return EXIT.usage;
  }
  if (values.help) {
    out(`usage: dnsbl ${cmd.args}\n\n${cmd.help}\n\nglobal options: --api URL, --region R, --profile P, --json`);
    return EXIT.ok;
  }
  for (const k of Object.keys(values)) {
    if (!GLOBAL_OPTIONS.includes(k) && !cmd.options.includes(k as keyof typeof OPTIONS)) {
      err(`dnsbl: --${k} is not an option of ${name}; usage: dnsbl ${cmd.args}`);
      return EXIT.usage;
    }
  }
  const api = values.api ?? io.env.DNSBL_API ?? DEFAULT_API;
  let client: ApiClient | undefined;
  const ctx: Ctx = {
    io,
    argv,
    json: values.json === true,
    out,
    err,
    now: () => io.now?.() ?? new Date(),
    async client() {
      if (client) return client;
      let url: URL;
      try {
        url = new URL(api);
      } catch {
        throw new UsageError(`--api ${JSON.stringify(api)} is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api ${JSON.stringify(api)} must be an http(s) URL`);
      const sign = url.protocol === 'https:';
      let credentials = io.credentials;
      if (sign && !credentials) {
        const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
        credentials = fromNodeProviderChain(values.profile ? { profile: values.profile } : {});
      }
      client = new ApiClient({
        api,
        sign,
        ...(values.region ? { region: values.region } : {}),
        ...(credentials ? { credentials } : {}),
        ...(io.fetch ? { fetch: io.fetch } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      if (sign && !client.region) throw new UsageError(`cannot tell the AWS region from ${url.host}; give --region`);
      return client;
    },
  };
  try {
    return await cmd.run(ctx, positionals.slice(1), values);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`dnsbl: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof ApiCallError) {
      if (ctx.json) out(JSON.stringify(e.body, null, 2));
      err(`dnsbl: ${e.status >= 500 ? 'the API failed' : 'the API refused'}: ${e.message}`);
      for (const d of e.body.error?.details ?? []) err(`  ${d.field ?? ''}: ${d.message}`);
      return exitCodeOf(e);
    }
    err(`dnsbl: ${(e as Error).message}`);
    return exitCodeOf(e);
  }
}
