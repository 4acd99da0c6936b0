// The public pages, rendered on the server: plain HTML forms (no JavaScript), one stylesheet,
// labels tied to their inputs, hints and errors announced (aria-describedby, role="alert"),
// visible keyboard focus, text contrast above WCAG AA. Every dynamic text is escaped here.
import type { PublicRequestView } from './delist-service.js';
import type { PublicEvidence } from '../core/evidence-summary.js';
import type { PublicLookup, PublicListView } from './lookup-service.js';
import { type Lang, t } from './messages.js';

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const STYLESHEET = `
:root{color-scheme:light}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;color:#1b1b1b;background:#fff;margin:0}
main{max-width:46rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem;margin:1rem 0 .25rem}
a{color:#0b4dad}a:focus,button:focus,input:focus,textarea:focus{outline:3px solid #b35c00;outline-offset:2px}
label{display:block;font-weight:600;margin-top:1rem}
.hint{display:block;color:#444;font-size:.9rem}
input,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:2px solid #555;border-radius:4px;color:#1b1b1b;background:#fff}
textarea{min-height:7rem}
button{font:inherit;margin-top:1rem;padding:.55rem 1.2rem;border:0;border-radius:4px;background:#0b4dad;color:#fff;cursor:pointer}
.listed{border-left:6px solid #a4000f;padding-left:.75rem}
.clear{border-left:6px solid #1d6b2d;padding-left:.75rem}
.alert{border:2px solid #a4000f;padding:.75rem;border-radius:4px;background:#fff5f5}
.note{border:2px solid #0b4dad;padding:.75rem;border-radius:4px;background:#f3f7ff}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #767676;padding:.25rem .75rem;text-align:left}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.25rem}
`;

function layout(lang: Lang, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/site.css">
</head>
<body>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

export function lookupForm(lang: Lang, zone: string, ip = '', error?: string): string {
  return `<h1>${esc(t(lang, 'site.title'))}</h1>
<p>${esc(t(lang, 'site.intro', { zone }))}</p>
<form method="get" action="/lookup" role="search">
<label for="ip">${esc(t(lang, 'lookup.label'))}</label>
<span class="hint" id="ip-hint">${esc(t(lang, 'lookup.hint'))}</span>
${error ? `<p class="alert" role="alert" id="ip-error">${esc(error)}</p>` : ''}
<input id="ip" name="ip" type="text" inputmode="text" autocomplete="off" spellcheck="false" maxlength="64" value="${esc(ip)}" aria-describedby="ip-hint${error ? ' ip-error' : ''}"${error ? ' aria-invalid="true"' : ''} required>
<button type="submit">${esc(t(lang, 'lookup.submit'))}</button>
</form>`;
}

function policyText(lang: Lang, l: PublicListView): string {
  const p = l.delisting;
  const base = p.mode === 'auto' ? t(lang, 'policy.auto', { count: p.limit?.count ?? 0, days: p.limit?.days ?? 0 }) : t(lang, `policy.${p.mode}`);
  return p.dnsProof ? `${base} ${t(lang, 'policy.dnsProof')}` : base;
}

function listSection(lang: Lang, l: PublicListView): string {
  const rows = l.listed
    ? [
        [t(lang, 'list.reason'), esc(l.reason ?? '')],
        [t(lang, 'list.since'), `<time datetime="${esc(l.since ?? '')}">${esc(l.since ?? '')}</time>`],
        [t(lang, 'list.expires'), l.expires ? `<time datetime="${esc(l.expires)}">${esc(l.expires)}</time>` : esc(t(lang, 'list.never'))],
        ...(l.range ? [[t(lang, 'list.range'), `<code>${esc(l.range)}</code>`]] : []),
        [t(lang, 'list.policy'), esc(policyText(lang, l))],
      ]
    : [[t(lang, 'list.policy'), esc(policyText(lang, l))]];
  return `<section class="${l.listed ? 'listed' : 'clear'}" aria-labelledby="list-${esc(l.list)}">
<h3 id="list-${esc(l.list)}">${esc(t(lang, 'list.heading', { list: l.list, code: l.code }))}: ${esc(t(lang, l.listed ? 'list.listed' : 'list.notListed'))}</h3>
<dl>${rows.map(([k, v]) => `<dt>${esc(k!)}</dt><dd>${v}</dd>`).join('')}</dl>
${l.listed && l.range ? `<p>${esc(t(lang, 'list.rangeNote', { range: l.range }))}</p>` : ''}
</section>`;
}

/** Reports about the address: counts by kind and the last seen, nothing else (PublicEvidence has nothing else). */
function evidenceSection(lang: Lang, address: string, e: PublicEvidence): string {
  return `<section aria-labelledby="evidence" id="evidence-section">
<h3 id="evidence">${esc(t(lang, 'evidence.heading'))}</h3>
<p>${esc(t(lang, 'evidence.summary', { ip: address, total: e.total, lastSeen: e.lastSeen })).replace(esc(e.lastSeen), `<time datetime="${esc(e.lastSeen)}">${esc(e.lastSeen)}</time>`)}</p>
<table><thead><tr><th scope="col">${esc(t(lang, 'evidence.kind'))}</th><th scope="col">${esc(t(lang, 'evidence.count'))}</th></tr></thead>
<tbody>${Object.entries(e.counts).map(([k, n]) => `<tr><td>${esc(k)}</td><td>${esc(n)}</td></tr>`).join('')}</tbody></table>
<p class="hint">${esc(t(lang, 'evidence.note'))}</p>
</section>`;
}

export function delistForm(lang: Lang, ip: string, values: { email?: string; statement?: string; domain?: string } = {}, error?: { message: string; field?: string }): string {
  const err = (field: string) => (error && error.field === field ? `<p class="alert" role="alert" id="${field}-error">${esc(error.message)}</p>` : '');
  const described = (field: string, hint: string) => `aria-describedby="${hint}${error?.field === field ? ` ${field}-error` : ''}"${error?.field === field ? ' aria-invalid="true"' : ''}`;
  return `<h2 id="delist">${esc(t(lang, 'delist.heading'))}</h2>
<p>${esc(t(lang, 'delist.intro', { minutes: 15 }))}</p>
${error && !['email', 'statement', 'domain'].includes(error.field ?? '') ? `<p class="alert" role="alert">${esc(error.message)}</p>` : ''}
<form method="post" action="/delist">
<input type="hidden" name="ip" value="${esc(ip)}">
<label for="email">${esc(t(lang, 'delist.email'))}</label>
<span class="hint" id="email-hint">${esc(t(lang, 'delist.emailHint'))}</span>${err('email')}
<input id="email" name="email" type="email" autocomplete="email" maxlength="254" value="${esc(values.email ?? '')}" ${described('email', 'email-hint')} required>
<label for="statement">${esc(t(lang, 'delist.statement'))}</label>
<span class="hint" id="statement-hint">${esc(t(lang, 'delist.statementHint', { min: 10, max: 1000 }))}</span>${err('statement')}
<textarea id="statement" name="statement" maxlength="1000" ${described('statement', 'statement-hint')} required>${esc(values.statement ?? '')}</textarea>
<label for="domain">${esc(t(lang, 'delist.domain'))}</label>${err('domain')}
<input id="domain" name="domain" type="text" autocomplete="off" maxlength="253" value="${esc(values.domain ?? '')}"${error?.field === 'domain' ? ' aria-describedby="domain-error" aria-invalid="true"' : ''}>
<button type="submit">${esc(t(lang, 'delist.submit'))}</button>
</form>`;
}

export function lookupPage(lang: Lang, zone: string, r?: PublicLookup, error?: string, queryText = ''): string {
  let result = '';
  if (r) {
    const listedCount = r.lists.filter((l) => l.listed).length;
    const special = r.special
      ? `<p class="note">${esc(
          r.special.kind === 'test-point'
            ? t(lang, 'special.testPoint', { ip: r.address })
            : r.special.kind === 'loopback'
              ? t(lang, 'special.loopback', { ip: r.address })
              : t(lang, 'special.reserved', { ip: r.address, range: r.special.range ?? '', name: r.special.name ?? '', ref: r.special.ref ?? '' }),
        )}</p>`
      : '';
    const dns =
      r.dns.status === 'unavailable'
        ? t(lang, 'dns.unavailable', { name: r.dns.name })
        : r.dns.status === 'listed'
          ? t(lang, 'dns.listed', { name: r.dns.name, a: r.dns.a.join(', ') })
          : t(lang, 'dns.notListed', { name: r.dns.name, status: r.dns.status });
    const canRequest = listedCount > 0 && r.special?.kind !== 'test-point' && r.lists.some((l) => l.listed && l.delisting.mode !== 'never');
    result = `<section aria-labelledby="result" id="result-section">
<h2 id="result" tabindex="-1">${esc(t(lang, 'lookup.heading', { ip: r.address }))}</h2>
<p role="status"><strong>${esc(listedCount > 0 ? t(lang, 'lookup.listed', { ip: r.address, count: listedCount }) : t(lang, 'lookup.notListed', { ip: r.address }))}</strong></p>
${special}
${r.lists.map((l) => listSection(lang, l)).join('\n')}
${r.evidence ? evidenceSection(lang, r.address, r.evidence) : ''}
<h3>${esc(t(lang, 'dns.heading'))}</h3>
<p id="dns-answer">${esc(dns)}</p>
${r.dns.txt.length > 0 ? `<p><code>${r.dns.txt.map(esc).join('<br>')}</code></p>` : ''}
<p class="hint">${esc(t(lang, 'dns.lag', { ttl: r.negativeTtl }))}</p>
</section>
${canRequest ? delistForm(lang, r.address) : ''}`;
  }
  return layout(lang, r ? `${t(lang, 'lookup.heading', { ip: r.address })} - ${t(lang, 'site.title')}` : t(lang, 'site.title'), `${lookupForm(lang, zone, r ? r.address : queryText, error)}\n${result}`);
}

export function delistPage(lang: Lang, zone: string, ip: string, values: { email?: string; statement?: string; domain?: string }, error: { message: string; field?: string }): string {
  return layout(lang, `${t(lang, 'delist.heading')} - ${t(lang, 'site.title')}`, `${lookupForm(lang, zone, ip)}\n${delistForm(lang, ip, values, error)}`);
}

export function sentPage(lang: Lang, r: { id: string; address: string; email: string; dnsProof?: { name: string; value: string } }): string {
  return layout(
    lang,
    `${t(lang, 'delist.heading')} - ${t(lang, 'site.title')}`,
    `<h1>${esc(t(lang, 'delist.heading'))}</h1>
<p class="note" role="status" id="sent">${esc(t(lang, 'delist.sent', { email: r.email, minutes: 15, id: r.id }))}</p>
${r.dnsProof ? `<p>${esc(t(lang, 'delist.proofRecord', { record: '' }))}<code>${esc(r.dnsProof.name)} TXT "${esc(r.dnsProof.value)}"</code></p>` : ''}
<p><a href="/lookup?ip=${encodeURIComponent(r.address)}">${esc(t(lang, 'error.back'))}</a></p>`,
  );
}

export function confirmPage(lang: Lang, r: { id: string; address: string }, token: string): string {
  return layout(
    lang,
    `${t(lang, 'confirm.heading')} - ${t(lang, 'site.title')}`,
    `<h1>${esc(t(lang, 'confirm.heading'))}</h1>
<p>${esc(t(lang, 'confirm.text', { id: r.id, ip: r.address }))}</p>
<form method="post" action="/delist/confirm">
<input type="hidden" name="id" value="${esc(r.id)}">
<input type="hidden" name="token" value="${esc(token)}">
<button type="submit">${esc(t(lang, 'confirm.submit'))}</button>
</form>`,
  );
}

export function resultPage(lang: Lang, r: PublicRequestView): string {
  const lines = r.outcomes.map((o) => {
    switch (o.outcome) {
      case 'delisted':
        return t(lang, 'result.delisted', { ip: r.address, list: o.list });
      case 'queued':
        return t(lang, 'result.queued', { list: o.list, why: o.why ?? '' });
      case 'approved':
        return t(lang, 'result.approved', { ip: r.address, list: o.list });
      case 'denied':
        return t(lang, 'result.denied', { reason: r.denyReason ?? '' });
      default:
        return t(lang, 'result.refused', { list: o.list, why: o.why ?? '' });
    }
  });
  return layout(
    lang,
    `${t(lang, 'result.heading', { id: r.id })} - ${t(lang, 'site.title')}`,
    `<h1>${esc(t(lang, 'result.heading', { id: r.id }))}</h1>
<div role="status" id="outcomes"><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></div>
${r.outcomes.some((o) => o.outcome === 'delisted') ? `<p>${esc(t(lang, 'result.dnsLag'))}</p>` : ''}
<p><a href="/lookup?ip=${encodeURIComponent(r.address)}">${esc(t(lang, 'error.back'))}</a></p>`,
  );
}

export function errorPage(lang: Lang, message: string): string {
  return layout(
    lang,
    `${t(lang, 'error.heading')} - ${t(lang, 'site.title')}`,
    `<h1>${esc(t(lang, 'error.heading'))}</h1>
<p class="alert" role="alert" id="error">${esc(message)}</p>
<p><a href="/lookup">${esc(t(lang, 'error.back'))}</a></p>`,
  );
}
