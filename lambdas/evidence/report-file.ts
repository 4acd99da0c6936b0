// The core of `dnsbl report FILE`: a file of evidence events read line by line, checked locally
// (address, time, the line's shape; the kinds are the deployment's, so the API checks those), then
// sent in batches of up to 1,000 to POST /v1/evidence, with progress, per-line errors (the API's
// per-item errors mapped back to their lines) and a summary.
//
// Each line is one of:
//   # a comment, or blank
//   {"ip": "192.0.2.1", "kind": "spamtrap", "observedAt": "2030-01-01T00:00:00Z", ...}   JSON
//   192.0.2.1,spamtrap,2030-01-01T00:00:00Z[,reporter[,detail]]                        CSV
// A CSV header (first cell "ip") is skipped.
import { splitCsv } from '../cli/import-file.js';
import { parseObservedAt } from '../core/evidence.js';
import { InputError } from '../core/input-error.js';
import { parseAddress } from '../core/ip.js';

export interface ReportLine {
  readonly line: number;
  readonly event: Record<string, unknown>;
}

export interface LineError {
  readonly line: number;
  readonly text: string;
  readonly message: string;
}

export interface ParsedReport {
  readonly events: ReportLine[];
  readonly rejected: LineError[];
  readonly lines: number;
}

export function parseReportFile(text: string): ParsedReport {
  const events: ReportLine[] = [];
  const rejected: LineError[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const fail = (message: string) => rejected.push({ line, text: raw.slice(0, 120), message: `line ${line}: ${message}` });
    let event: Record<string, unknown>;
    if (t.startsWith('{')) {
      try {
        const v = JSON.parse(t) as unknown;
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('a JSON line must be an object');
        event = v as Record<string, unknown>;
      } catch (e) {
        return fail(`not valid JSON: ${(e as Error).message}`);
      }
    } else {
      let cells: string[];
      try {
        cells = splitCsv(t);
      } catch (e) {
        return fail((e as Error).message);
      }
      if (i === 0 && cells[0]?.toLowerCase() === 'ip') return;
      if (cells.length < 3 || cells.length > 5) return fail(`expected ip,kind,observedAt[,reporter[,detail]]; got ${cells.length} cells`);
      const [ip, kind, observedAt, reporter, detail] = cells as [string, string, string, string?, string?];
      event = { ip, kind, observedAt: /^\d+$/.test(observedAt) ? Number(observedAt) : observedAt, ...(reporter ? { reporter } : {}), ...(detail ? { detail } : {}) };
    }
    try {
      if (typeof event.ip !== 'string') throw new InputError('ip must be a string', 'ip');
      parseAddress(event.ip, 'ip');
      parseObservedAt(event.observedAt, 'observedAt');
    } catch (e) {
      if (e instanceof InputError) return fail(e.message);
      throw e;
    }
    events.push({ line, event });
  });
  return { events, rejected, lines: lines.length };
}

export interface SendSummary {
  readonly lines: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: LineError[];
  /** Listing writes the evidence caused, by status ("created", "updated" …). */
  readonly writes: Record<string, number>;
  /** The policies' level-1 decisions, by action ("list", "extend", "protected" …), per list and address. */
  readonly decisions: Record<string, number>;
  /** Prefixes (level 2) and ASes (level 3) re-evaluated, and how many of them are escalated. */
  readonly escalations: { readonly checked: number; readonly escalated: number };
}

export interface EvidenceReply {
  accepted: number;
  rejected: Array<{ index: number; field: string; message: string }>;
  writes: Array<{ status: string }>;
  decisions?: Array<{ action: string }>;
  escalations?: Array<{ escalate: boolean }>;
}

/** Sends the events in batches; `post` is POST /v1/evidence (a 400 "no good event" reply is given as its problems). */
export async function sendReport(parsed: ParsedReport, post: (items: readonly Record<string, unknown>[]) => Promise<EvidenceReply>, progress?: (done: number, total: number) => void, batch = 1000): Promise<SendSummary> {
  const rejected = [...parsed.rejected];
  const writes: Record<string, number> = {};
  const decisions: Record<string, number> = {};
  const escalations = { checked: 0, escalated: 0 };
  let accepted = 0;
  let sent = 0;
  for (let i = 0; i < parsed.events.length; i += batch) {
    const chunk = parsed.events.slice(i, i + batch);
    const r = await post(chunk.map((c) => c.event));
    sent += chunk.length;
    accepted += r.accepted;
    for (const p of r.rejected) {
      const l = chunk[p.index];
      if (l) rejected.push({ line: l.line, text: JSON.stringify(l.event).slice(0, 120), message: `line ${l.line}: ${p.message.replace(/^items\[\d+\]\.?/, '').trim() || p.message}` });
    }
    for (const w of r.writes) writes[w.status] = (writes[w.status] ?? 0) + 1;
    for (const d of r.decisions ?? []) decisions[d.action] = (decisions[d.action] ?? 0) + 1;
    for (const e of r.escalations ?? []) {
      escalations.checked++;
      if (e.escalate) escalations.escalated++;
    }
    progress?.(sent, parsed.events.length);
  }
  rejected.sort((a, b) => a.line - b.line);
  return { lines: parsed.lines, sent, accepted, rejected, writes, decisions, escalations };
}
