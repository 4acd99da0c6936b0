// The `dnsbl report` core: a file of events, per-line errors (local and the API's), a summary.
import { describe, expect, it } from 'vitest';
import { parseReportFile, sendReport } from '../../lambdas/evidence/report-file.js';

const FILE = [
  'ip,kind,observedAt,reporter,detail',
  '192.0.2.1,spamtrap,2030-01-01T00:00:00Z,trapnet,"hit on trap@x, twice"',
  '# a comment',
  '{"ip": "192.0.2.2", "kind": "abuse-report", "observedAt": 1893456000}',
  '192.0.2.300,spamtrap,2030-01-01T00:00:00Z',
  '192.0.2.3,scan,1893456000',
  '{"ip": 5}',
  '192.0.2.4,spamtrap',
  '',
].join('\n');

describe('report file', () => {
  it('checks each line locally and maps the API\'s per-item errors back to lines', async () => {
    const parsed = parseReportFile(FILE);
    expect(parsed.events.map((e) => e.line)).toEqual([2, 4, 6]);
    expect(parsed.events[0]!.event).toEqual({ ip: '192.0.2.1', kind: 'spamtrap', observedAt: '2030-01-01T00:00:00Z', reporter: 'trapnet', detail: 'hit on trap@x, twice' });
    expect(parsed.rejected.map((r) => r.message)).toEqual([
      'line 5: "192.0.2.300" is not an IPv4 address (octet 300 is over 255)',
      'line 7: ip must be a string',
      'line 8: expected ip,kind,observedAt[,reporter[,detail]]; got 2 cells',
    ]);
    const progress: number[] = [];
    const summary = await sendReport(
      parsed,
      async (items) => {
        const rejected = items.flatMap((it, i) => (it.kind === 'scan' ? [{ index: i, field: `items[${i}].kind`, message: `items[${i}].kind "scan" is not a configured kind; configured: abuse-report, spamtrap` }] : []));
        return { accepted: items.length - rejected.length, rejected, writes: Array.from({ length: items.length - rejected.length }, () => ({ status: 'created' })) };
      },
      (done) => progress.push(done),
      2,
    );
    expect(progress).toEqual([2, 3]);
    expect(summary.accepted).toBe(2);
    expect(summary.rejected.map((r) => r.message)).toContain('line 6: kind "scan" is not a configured kind; configured: abuse-report, spamtrap');
    expect(summary.writes).toEqual({ created: 2 });
  });
});
