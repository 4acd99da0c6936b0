// `tsx test/cdk/synth-child.ts <outdir> <context json>`: synthesizes the app as bin/app.ts does into
// outdir and prints {synthMs}. Run by helpers.ts synth() in a child process so that the tests' event
// loop is not blocked by the synchronous bundling and synthesis.
import { createApp } from '../../lib/app.js';

const [outdir, context] = process.argv.slice(2);
if (!outdir || !context) throw new Error('usage: synth-child.ts <outdir> <context json>');
const started = Date.now();
const { app } = createApp({ outdir, context: JSON.parse(context) as Record<string, unknown> });
app.synth();
process.stdout.write(JSON.stringify({ synthMs: Date.now() - started }));
