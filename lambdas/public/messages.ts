// The public portal's one message catalogue: every text a sender sees (page, JSON explanations,
// mails) in English and Japanese. A key missing a language is a type error. `{name}` stands for a
// parameter; t() returns plain text (the HTML renderer escapes it).

export const LANGS = ['en', 'ja'] as const;
export type Lang = (typeof LANGS)[number];

const CATALOGUE = {
  'site.title': { en: 'Blocklist look-up', ja: 'ブロックリスト照会' },
  'site.intro': {
    en: 'Check whether an address is listed in {zone}, why, and how to get it removed.',
    ja: '{zone} にアドレスが登録されているか、その理由と解除の方法を確認できます。',
  },
  'lookup.label': { en: 'IP address (IPv4 or IPv6)', ja: 'IP アドレス（IPv4 または IPv6）' },
  'lookup.hint': {
    en: 'The address of your mail server, as shown in the bounce message, e.g. 192.0.2.1 or 2001:db8::1.',
    ja: 'エラーメールに表示されたメールサーバーのアドレス（例: 192.0.2.1、2001:db8::1）。',
  },
  'lookup.submit': { en: 'Look up', ja: '照会する' },
  'lookup.heading': { en: 'Result for {ip}', ja: '{ip} の結果' },
  'lookup.listed': { en: '{ip} is listed in {count} list(s).', ja: '{ip} は {count} 件のリストに登録されています。' },
  'lookup.notListed': { en: '{ip} is not listed.', ja: '{ip} は登録されていません。' },
  'list.heading': { en: 'List "{list}" (answers {code})', ja: 'リスト「{list}」（応答 {code}）' },
  'list.listed': { en: 'Listed', ja: '登録あり' },
  'list.notListed': { en: 'Not listed', ja: '登録なし' },
  'list.reason': { en: 'Reason', ja: '理由' },
  'list.since': { en: 'Listed since', ja: '登録日時' },
  'list.expires': { en: 'Expires', ja: '有効期限' },
  'list.never': { en: 'no expiry', ja: '期限なし' },
  'list.range': { en: 'Listed as part of', ja: '登録範囲' },
  'list.rangeNote': {
    en: 'The whole range {range} is listed; a single address inside it cannot be removed by self-service. A request goes to an operator.',
    ja: '範囲 {range} 全体が登録されています。範囲内の個別アドレスはセルフサービスでは解除できません。申請は運営者の審査に回ります。',
  },
  'list.policy': { en: 'Delisting', ja: '解除方法' },
  'policy.auto': {
    en: 'Self-service: removed at once after you confirm your e-mail address (at most {count} times in {days} days; after that, or if the listing is renewed by new evidence, an operator reviews requests).',
    ja: 'セルフサービス: メールアドレスの確認後すぐに解除されます（{days} 日間に {count} 回まで。それを超えた場合や新たな証拠で再登録された場合は運営者が審査します）。',
  },
  'policy.review': { en: 'On request, after review by an operator.', ja: '申請後、運営者の審査を経て解除されます。' },
  'policy.never': { en: 'Not by self-service; contact the list operator.', ja: 'セルフサービスでは解除できません。リスト運営者に連絡してください。' },
  'policy.dnsProof': {
    en: 'This list also asks for DNS proof: a TXT record at _dnsbl-delist.<your domain>, where the domain resolves to the address.',
    ja: 'このリストでは DNS による証明も必要です: アドレスに解決されるドメインの _dnsbl-delist.<ドメイン> に TXT レコードを公開してください。',
  },
  'dns.heading': { en: 'What the DNS answers now', ja: '現在の DNS の応答' },
  'dns.listed': { en: '{name} answers {a}', ja: '{name} は {a} を応答しています' },
  'dns.notListed': { en: '{name}: not listed ({status})', ja: '{name}: 登録なし（{status}）' },
  'dns.unavailable': { en: '{name}: the DNS servers could not be asked just now', ja: '{name}: 現在 DNS サーバーに問い合わせできません' },
  'dns.lag': {
    en: 'Changes reach the DNS within a minute or two; resolvers may remember the old answer for up to {ttl} seconds.',
    ja: '変更は 1〜2 分で DNS に反映されます。リゾルバーは古い応答を最大 {ttl} 秒保持することがあります。',
  },
  'special.testPoint': {
    en: '{ip} is the RFC 5782 test point: it is listed in every list on purpose, so that mail servers can check that the list works. It is not a real sender.',
    ja: '{ip} は RFC 5782 のテスト用アドレスです。メールサーバーが動作確認できるよう、すべてのリストに意図的に登録されています。実際の送信元ではありません。',
  },
  'special.loopback': {
    en: '{ip} is in 127.0.0.0/8, reserved for the lists\' test points: it is never listed.',
    ja: '{ip} は 127.0.0.0/8（テスト用に予約）にあり、登録されることはありません。',
  },
  'special.reserved': {
    en: '{ip} is in {range}, {name} ({ref}). Such addresses are not used on the public Internet, so no mail server sees mail from them; your mail server is probably known to the world by another address.',
    ja: '{ip} は {range}（{name}、{ref}）に含まれます。このようなアドレスはインターネット上では使われないため、外部のメールサーバーがこのアドレスからのメールを受け取ることはありません。あなたのサーバーの公開アドレスを確認してください。',
  },
  'evidence.heading': { en: 'Reports about this address', ja: 'このアドレスに関する報告' },
  'evidence.summary': {
    en: 'We have {total} report(s) about {ip}; the last one was seen {lastSeen}.',
    ja: '{ip} について {total} 件の報告を受けています。最後の報告は {lastSeen} です。',
  },
  'evidence.kind': { en: 'Kind of report', ja: '報告の種類' },
  'evidence.count': { en: 'Reports', ja: '件数' },
  'evidence.note': {
    en: 'Reports come from spam traps and from recipients of your mail. Who reported it and what they saw are not shown. Reports are kept for a limited time; a listing made from them ends on its own when no new reports arrive.',
    ja: '報告はスパムトラップやメールの受信者から寄せられたものです。報告者と報告内容は表示しません。報告は一定期間だけ保存され、新たな報告がなければ、それに基づく登録は自動的に終了します。',
  },
  'delist.heading': { en: 'Request removal', ja: '解除を申請する' },
  'delist.intro': {
    en: 'Fix the cause first (e.g. a compromised account, an open relay). We mail a confirmation link to your address; the link works once, for {minutes} minutes.',
    ja: 'まず原因（乗っ取られたアカウント、オープンリレーなど）を解消してください。確認用リンクをメールで送ります。リンクは {minutes} 分間、1 回だけ有効です。',
  },
  'delist.email': { en: 'Your e-mail address', ja: 'メールアドレス' },
  'delist.emailHint': { en: 'Used only for this request, and deleted when it is done.', ja: 'この申請のためだけに使用し、完了後に削除します。' },
  'delist.statement': { en: 'What did you fix?', ja: '何を修正しましたか？' },
  'delist.statementHint': { en: '{min} to {max} characters.', ja: '{min}〜{max} 文字。' },
  'delist.domain': { en: 'Domain for DNS proof (if the list asks for it)', ja: 'DNS 証明用ドメイン（リストが求める場合）' },
  'delist.submit': { en: 'Send confirmation mail', ja: '確認メールを送る' },
  'delist.sent': {
    en: 'We sent a confirmation link to {email}. Open it within {minutes} minutes to confirm the request {id}.',
    ja: '{email} に確認用リンクを送りました。{minutes} 分以内に開いて申請 {id} を確定してください。',
  },
  'delist.proofRecord': {
    en: 'Before you confirm, publish this TXT record: {record}',
    ja: '確定の前に次の TXT レコードを公開してください: {record}',
  },
  'confirm.heading': { en: 'Confirm your request', ja: '申請の確定' },
  'confirm.text': {
    en: 'Confirm the removal request {id} for {ip}.',
    ja: '{ip} の解除申請 {id} を確定します。',
  },
  'confirm.submit': { en: 'Confirm the request', ja: '申請を確定する' },
  'result.heading': { en: 'Request {id}', ja: '申請 {id}' },
  'result.delisted': { en: '{ip} was removed from list "{list}".', ja: '{ip} はリスト「{list}」から削除されました。' },
  'result.queued': { en: 'List "{list}": your request was passed to an operator for review ({why}). We will mail you the outcome.', ja: 'リスト「{list}」: 申請は運営者の審査に回りました（{why}）。結果はメールでお知らせします。' },
  'result.refused': { en: 'List "{list}": {why}', ja: 'リスト「{list}」: {why}' },
  'result.approved': { en: 'An operator approved the request: {ip} is no longer listed in "{list}".', ja: '運営者が申請を承認しました: {ip} はリスト「{list}」に登録されていません。' },
  'result.denied': { en: 'An operator declined the request: {reason}', ja: '運営者は申請を却下しました: {reason}' },
  'result.dnsLag': {
    en: 'The DNS stops answering within a minute or two; some resolvers remember the old answer a little longer.',
    ja: 'DNS は 1〜2 分で応答を停止します。一部のリゾルバーは古い応答をしばらく保持します。',
  },
  'why.policy-review': { en: 'this list reviews every request', ja: 'このリストはすべての申請を審査します' },
  'why.range': { en: 'the address is listed as part of a range', ja: 'アドレスが範囲の一部として登録されています' },
  'why.by-hand': { en: 'an operator listed it by hand', ja: '運営者が手動で登録しました' },
  'why.limit-reached': { en: 'self-service limit reached for this address', ja: 'このアドレスのセルフサービス回数の上限に達しました' },
  'why.relisted-after-self-delist': { en: 'the address was listed again after an earlier self-service removal', ja: '以前のセルフサービス解除の後に再登録されました' },
  'why.never': { en: 'this list does not remove addresses by self-service; contact the operator', ja: 'このリストはセルフサービスでの解除を行いません。運営者に連絡してください' },
  'why.not-listed': { en: 'the address is not listed (any more)', ja: 'アドレスは（もう）登録されていません' },
  'mail.confirm.subject': { en: 'Confirm your delisting request for {ip}', ja: '{ip} の解除申請の確認' },
  'mail.confirm.body': {
    en: 'Someone (hopefully you) asked to remove {ip} from {zone}.\n\nTo confirm, open this link within {minutes} minutes (it works once):\n{link}\n\nRequest: {id}\nIf you did not ask for this, ignore this mail: nothing changes.',
    ja: '{zone} から {ip} の削除が申請されました。\n\n確定するには、{minutes} 分以内に次のリンクを開いてください（1 回だけ有効です）:\n{link}\n\n申請番号: {id}\n心当たりがない場合はこのメールを無視してください。何も変更されません。',
  },
  'mail.outcome.subject': { en: 'Your delisting request {id} for {ip}', ja: '{ip} の解除申請 {id} の結果' },
  'mail.outcome.approved': {
    en: 'An operator approved your request {id}: {ip} is no longer listed in {lists}.',
    ja: '運営者が申請 {id} を承認しました: {ip} は {lists} に登録されていません。',
  },
  'mail.outcome.denied': {
    en: 'An operator declined your request {id} for {ip}. The reason: {reason}',
    ja: '運営者は {ip} の申請 {id} を却下しました。理由: {reason}',
  },
  'error.heading': { en: 'Something is wrong with the request', ja: 'リクエストに問題があります' },
  'error.back': { en: 'Back to the look-up', ja: '照会ページに戻る' },
  'error.rate': { en: 'Too many requests from your address; try again in {seconds} seconds.', ja: 'リクエストが多すぎます。{seconds} 秒後に再試行してください。' },
} as const satisfies Record<string, Record<Lang, string>>;

export type MessageKey = keyof typeof CATALOGUE;

export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text: string = CATALOGUE[key][lang];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** Every key of the catalogue (tests check each has both languages). */
export function messageKeys(): MessageKey[] {
  return Object.keys(CATALOGUE) as MessageKey[];
}

/**
 * The language for an Accept-Language header: the supported language with the highest q-value
 * ("ja-JP" counts as "ja"; "*" as English); English when nothing matches.
 */
export function pickLang(header: string | undefined): Lang {
  if (!header) return 'en';
  let best: { lang: Lang; q: number } | undefined;
  for (const part of header.slice(0, 500).split(',')) {
    const [tag, ...params] = part.trim().split(';');
    const base = (tag ?? '').trim().toLowerCase().split('-')[0];
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const lang: Lang | undefined = base === '*' ? 'en' : (LANGS as readonly string[]).includes(base ?? '') ? (base as Lang) : undefined;
    if (lang && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'en';
}
