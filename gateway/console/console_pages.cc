#include "gateway/console/console_pages.h"

#include <utility>
#include <vector>

namespace mugai {

namespace {

// key, 日本語, English
const std::vector<std::vector<std::string>> kWords = {
    {"brand", "mugai 無害化コンソール", "mugai sanitisation console"},
    {"nav_items", "受信した項目", "Items"},
    {"nav_requests", "承認待ち", "Requests"},
    {"nav_audit", "監査ログ", "Audit log"},
    {"nav_dashboard", "管理", "Dashboard"},
    {"logout", "ログアウト", "Log out"},
    {"login_title", "ログイン", "Log in"},
    {"username", "ユーザー名", "User name"},
    {"password", "パスワード", "Password"},
    {"login", "ログイン", "Log in"},
    {"login_failed", "ユーザー名またはパスワードが違います。", "Wrong user name or password."},
    {"login_locked", "ログインの失敗が続いたため、このアカウントは一時的にロックされています。しばらくしてから再度お試しください。",
     "Too many failed log-ins: this account is locked for a while. Try again later."},
    {"login_throttled", "この端末からのログインの失敗が多すぎます。しばらくしてから再度お試しください。",
     "Too many failed log-ins from this address. Try again later."},
    {"session_expired", "セッションの有効期限が切れました。もう一度ログインしてください。",
     "Your session has expired. Please log in again."},
    {"suspended", "受付停止中（メール・ファイルを受け付けていません）", "Suspended (no mail or files are taken)"},
    {"items_title", "受信した項目（隔離・無害化）", "Quarantined and sanitised items"},
    {"items_intro_staff", "あなた宛てに届き、無害化または隔離されたメール・ファイルです。",
     "Mail and files addressed to you that were sanitised or quarantined."},
    {"items_intro_all", "隔離されたすべての項目です。", "Every quarantined item."},
    {"state", "状態", "State"},
    {"all", "すべて", "All"},
    {"filter", "絞り込む", "Filter"},
    {"received", "受信日時 (UTC)", "Received (UTC)"},
    {"sender", "差出人", "Sender"},
    {"recipients", "宛先", "Recipients"},
    {"subject", "件名", "Subject"},
    {"subject_or_name", "件名 / ファイル名", "Subject / file name"},
    {"file_name", "ファイル名", "File name"},
    {"verdict", "判定", "Verdict"},
    {"reason", "理由", "Reason"},
    {"threats", "検出", "Threats"},
    {"entry", "経路", "Entry point"},
    {"size", "サイズ (バイト)", "Size (bytes)"},
    {"no_items", "表示する項目はありません。", "Nothing to show."},
    {"item", "項目", "Item"},
    {"history", "履歴", "History"},
    {"parts", "添付ファイル・本文の処理結果", "What was done to each part"},
    {"clean", "問題なし", "clean"},
    {"requested_by", "申請者", "Requested by"},
    {"request_reason", "申請理由", "Reason for the request"},
    {"approved_by", "承認者", "Approved by"},
    {"rejected_by", "却下した人", "Rejected by"},
    {"released_at", "配送日時", "Released at"},
    {"exception", "原本の例外配送", "Exception: the original itself"},
    {"expires", "有効期限", "Expires"},
    {"download", "無害化したファイルをダウンロード", "Download the sanitised copy"},
    {"download_note", "現在の定義ファイルで無害化し直したものをお渡しします。",
     "It is sanitised again with the current signatures."},
    {"ppap_title", "パスワード付きファイル（PPAP）", "Password-protected file (PPAP)"},
    {"ppap_note", "別のメールで届いたパスワードを入力すると、無害化してからあなたに配送します。",
     "Enter the password you received separately: the file is then sanitised and delivered to you."},
    {"resubmit", "パスワードを入力して無害化", "Sanitise with this password"},
    {"resubmit_plain", "現在の定義ファイルで再処理", "Process again with current signatures"},
    {"request_title", "原本の取り出しを申請", "Ask for a release"},
    {"request_note", "承認者（申請者とは別の人）が承認すると配送されます。",
     "It is delivered once an approver (another person) approves it."},
    {"request_original", "無害化していない原本そのものを求める（例外・期限付き）",
     "Ask for the unsanitised original itself (an exception, with an expiry)"},
    {"request_submit", "申請する", "Ask for release"},
    {"approve", "承認して配送", "Approve and deliver"},
    {"reject", "却下", "Reject"},
    {"approve_reason", "承認の理由（任意）", "Reason (optional)"},
    {"decide_title", "申請の判断", "Decide on the request"},
    {"self_approval", "ご自身の申請は承認できません（申請者と承認者の兼務禁止）。",
     "You cannot approve your own request (requester and approver must be different people)."},
    {"requests_title", "承認待ちの申請", "Requests waiting for approval"},
    {"audit_title", "監査ログ", "Audit log"},
    {"audit_from", "開始日 (UTC)", "From (UTC date)"},
    {"audit_to", "終了日 (UTC)", "To (UTC date)"},
    {"actor", "操作者", "Actor"},
    {"event", "イベント", "Event"},
    {"search", "検索", "Search"},
    {"verify", "改ざん検査を実行", "Verify the chain"},
    {"export_csv", "CSV 出力（個人情報を伏せ字）", "Export CSV (redacted)"},
    {"time", "日時 (UTC)", "Time (UTC)"},
    {"details", "詳細", "Details"},
    {"shown_of", "件を表示（最新順）", "shown (newest first)"},
    {"dashboard_title", "管理ダッシュボード", "Dashboard"},
    {"per_day", "日別の処理件数（隔離された項目、14日間）", "Items per day (quarantined items, 14 days)"},
    {"sanitized", "無害化", "sanitised"},
    {"blocked", "遮断", "blocked"},
    {"top_reasons", "理由別", "By reason"},
    {"pending", "承認待ちの申請", "Pending requests"},
    {"signatures", "定義ファイル", "Signatures"},
    {"signature_version", "バージョン", "Version"},
    {"signature_age", "経過時間 (時間)", "Age (hours)"},
    {"queue", "処理中の項目", "Items in progress"},
    {"workers_busy", "稼働中のワーカー", "Workers busy"},
    {"worker_failures", "ワーカーの異常終了・時間切れ", "Worker crashes and timeouts"},
    {"metrics_unavailable", "サービスの計測値を取得できません (service.metrics_listen)。",
     "The service's metrics cannot be read (service.metrics_listen)."},
    {"count", "件数", "Count"},
    {"done", "完了しました。", "Done."},
    {"done_request-release", "申請しました。承認者の判断をお待ちください。",
     "Requested. An approver will decide."},
    {"done_approve", "承認し、配送しました。", "Approved and delivered."},
    {"done_reject", "却下しました。", "Rejected."},
    {"done_resubmit", "処理しました。配送できたものはあなたに届きます。",
     "Processed. What could be delivered is on its way to you."},
    {"forbidden", "この操作は許可されていません。", "You may not do this."},
    {"conflict", "この項目の現在の状態では、この操作はできません。",
     "This cannot be done in the item's current state."},
    {"bad_csrf", "フォームの有効期限が切れたか、不正な送信です。ページを開き直してください。",
     "The form expired or was not sent from this console. Open the page again."},
    {"not_found", "見つかりません。", "Not found."},
    {"unavailable", "mugai サービスに接続できません。管理者に連絡してください。",
     "The mugai service does not answer. Tell your administrator."},
    {"back", "戻る", "Back"},
    {"state_quarantined", "隔離中", "quarantined"},
    {"state_release_requested", "承認待ち", "release requested"},
    {"state_approved", "承認済み", "approved"},
    {"state_rejected", "却下", "rejected"},
    {"state_released", "配送済み", "released"},
    {"state_purged", "削除済み", "purged"},
};

const std::string kLayout = R"(<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} — mugai</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<header>
<a class="brand" href="/items">{{t.brand}}</a>
{{#logged_in}}
<nav>
<a href="/items">{{t.nav_items}}</a>
{{#is_approver}}<a href="/requests" id="nav-requests">{{t.nav_requests}}</a>{{/is_approver}}
{{#is_auditor}}<a href="/audit" id="nav-audit">{{t.nav_audit}}</a>{{/is_auditor}}
{{#is_admin}}<a href="/dashboard" id="nav-dashboard">{{t.nav_dashboard}}</a>{{/is_admin}}
</nav>
<form class="logout" method="post" action="/logout">
<input type="hidden" name="csrf" value="{{csrf}}">
<span class="who" id="who">{{user}}</span>
<button type="submit" id="logout">{{t.logout}}</button>
</form>
{{/logged_in}}
<span class="lang"><a href="/lang?set=ja" lang="ja">日本語</a> | <a href="/lang?set=en" lang="en">English</a></span>
</header>
{{#suspended}}<p class="banner" id="suspended">{{t.suspended}}: {{suspended}}</p>{{/suspended}}
{{#flash}}<p class="flash" id="flash">{{flash}}</p>{{/flash}}
{{#error}}<p class="error" id="error">{{error}}</p>{{/error}}
<main>
{{{body}}}
</main>
</body>
</html>
)";

const std::map<std::string, std::string> kPages = {
    {"login", R"(<h1>{{t.login_title}}</h1>
<form method="post" action="/login" class="login">
<label>{{t.username}} <input type="text" name="username" id="username" autocomplete="username" required autofocus></label>
<label>{{t.password}} <input type="password" name="password" id="password" autocomplete="current-password" required></label>
<button type="submit" id="login">{{t.login}}</button>
</form>
)"},
    {"items", R"(<h1>{{t.items_title}}</h1>
<p>{{#staff}}{{t.items_intro_staff}}{{/staff}}{{^staff}}{{t.items_intro_all}}{{/staff}}</p>
<form method="get" action="/items" class="filter">
<label>{{t.state}} <select name="status" id="status">
<option value="">{{t.all}}</option>
{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}
</select></label>
<button type="submit">{{t.filter}}</button>
</form>
{{#has_items}}
<table id="items">
<thead><tr><th>{{t.received}}</th><th>{{t.sender}}</th><th>{{t.subject_or_name}}</th><th>{{t.verdict}}</th><th>{{t.reason}}</th><th>{{t.state}}</th></tr></thead>
<tbody>
{{#items}}<tr class="item" data-id="{{id}}"><td>{{received}}</td><td class="sender">{{sender}}</td><td class="title"><a href="/items/{{id}}">{{title}}</a></td><td class="verdict {{verdict_class}}">{{verdict}}</td><td class="reason">{{reason}}</td><td class="state">{{state}}</td></tr>
{{/items}}
</tbody>
</table>
{{/has_items}}
{{^has_items}}<p id="no-items">{{t.no_items}}</p>{{/has_items}}
)"},
    {"item", R"(<h1>{{t.item}} <span id="item-id">{{id}}</span></h1>
<dl class="facts">
<dt>{{t.received}}</dt><dd>{{received}}</dd>
<dt>{{t.entry}}</dt><dd>{{entry}}</dd>
{{#sender}}<dt>{{t.sender}}</dt><dd id="sender">{{sender}}</dd>{{/sender}}
{{#recipients}}<dt>{{t.recipients}}</dt><dd id="recipients">{{recipients}}</dd>{{/recipients}}
{{#subject}}<dt>{{t.subject}}</dt><dd id="subject">{{subject}}</dd>{{/subject}}
<dt>{{t.file_name}}</dt><dd id="name">{{name}}</dd>
<dt>{{t.size}}</dt><dd>{{size}}</dd>
<dt>{{t.verdict}}</dt><dd id="verdict" class="{{verdict_class}}">{{verdict}}</dd>
<dt>{{t.reason}}</dt><dd id="reason">{{reason}}</dd>
{{#threats}}<dt>{{t.threats}}</dt><dd id="threats">{{threats}}</dd>{{/threats}}
<dt>{{t.state}}</dt><dd id="state">{{state}}</dd>
{{#requested_by}}<dt>{{t.requested_by}}</dt><dd id="requested-by">{{requested_by}}</dd>
<dt>{{t.request_reason}}</dt><dd>{{request_reason}}</dd>{{/requested_by}}
{{#exception}}<dt>{{t.exception}}</dt><dd>{{t.expires}} {{exception_expires_at}}</dd>{{/exception}}
{{#approved_by}}<dt>{{t.approved_by}}</dt><dd id="approved-by">{{approved_by}}</dd>{{/approved_by}}
{{#rejected_by}}<dt>{{t.rejected_by}}</dt><dd id="rejected-by">{{rejected_by}}</dd>{{/rejected_by}}
{{#released_at}}<dt>{{t.released_at}}</dt><dd id="released-at">{{released_at}}</dd>{{/released_at}}
</dl>
{{#has_parts}}<h2>{{t.parts}}</h2>
<ul id="parts">{{#parts}}<li><span class="part">{{indent}}{{part}}</span>: {{what}}</li>{{/parts}}</ul>{{/has_parts}}
{{#can_download}}<p><a class="button" href="/items/{{id}}/download" id="download">{{t.download}}</a> <small>{{t.download_note}}</small></p>{{/can_download}}
{{#can_resubmit}}
<section class="action" id="resubmit-section">
{{#encrypted}}<h2>{{t.ppap_title}}</h2><p>{{t.ppap_note}}</p>{{/encrypted}}
<form method="post" action="/items/{{id}}/resubmit">
<input type="hidden" name="csrf" value="{{csrf}}">
{{#encrypted}}<label>{{t.password}} <input type="password" name="password" id="ppap-password" autocomplete="off" required></label>
<button type="submit" id="resubmit">{{t.resubmit}}</button>{{/encrypted}}
{{^encrypted}}<input type="hidden" name="password" value=""><button type="submit" id="resubmit">{{t.resubmit_plain}}</button>{{/encrypted}}
</form>
</section>
{{/can_resubmit}}
{{#can_request}}
<section class="action" id="request-section">
<h2>{{t.request_title}}</h2>
<p>{{t.request_note}}</p>
<form method="post" action="/items/{{id}}/request-release">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.request_reason}} <input type="text" name="reason" id="request-reason" required maxlength="1000"></label>
<label class="check"><input type="checkbox" name="original" value="1" id="request-original"> {{t.request_original}}</label>
<label>{{t.expires}} <input type="date" name="expires" id="request-expires"></label>
<button type="submit" id="request-release">{{t.request_submit}}</button>
</form>
</section>
{{/can_request}}
{{#can_decide}}
<section class="action" id="decide-section">
<h2>{{t.decide_title}}</h2>
<form method="post" action="/items/{{id}}/approve" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.approve_reason}} <input type="text" name="reason" id="approve-reason" maxlength="1000"></label>
<button type="submit" id="approve">{{t.approve}}</button>
</form>
<form method="post" action="/items/{{id}}/reject" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{t.reason}} <input type="text" name="reason" id="reject-reason" required maxlength="1000"></label>
<button type="submit" id="reject">{{t.reject}}</button>
</form>
</section>
{{/can_decide}}
{{#own_request}}<p class="note" id="own-request">{{t.self_approval}}</p>{{/own_request}}
)"},
    {"requests", R"(<h1>{{t.requests_title}}</h1>
{{#has_items}}
<table id="requests">
<thead><tr><th>{{t.received}}</th><th>{{t.subject_or_name}}</th><th>{{t.requested_by}}</th><th>{{t.request_reason}}</th><th>{{t.exception}}</th></tr></thead>
<tbody>
{{#items}}<tr class="request" data-id="{{id}}"><td>{{received}}</td><td><a href="/items/{{id}}">{{title}}</a></td><td>{{requested_by}}</td><td>{{request_reason}}</td><td>{{#exception}}{{t.expires}} {{exception_expires_at}}{{/exception}}</td></tr>
{{/items}}
</tbody>
</table>
{{/has_items}}
{{^has_items}}<p id="no-items">{{t.no_items}}</p>{{/has_items}}
)"},
    {"audit", R"(<h1>{{t.audit_title}}</h1>
<form method="get" action="/audit" class="filter">
<label>{{t.audit_from}} <input type="date" name="from" value="{{from}}"></label>
<label>{{t.audit_to}} <input type="date" name="to" value="{{to}}"></label>
<label>{{t.actor}} <input type="text" name="actor" value="{{actor}}"></label>
<label>{{t.event}} <input type="text" name="event" value="{{event}}"></label>
<label>{{t.item}} <input type="text" name="item" value="{{item}}"></label>
<button type="submit" id="search">{{t.search}}</button>
</form>
<form method="post" action="/audit/verify" class="inline">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" id="verify">{{t.verify}}</button>
</form>
<a class="button" href="/audit/export.csv" id="export">{{t.export_csv}}</a>
{{#verify_result}}<pre id="verify-result" class="{{verify_class}}">{{verify_result}}</pre>{{/verify_result}}
<p>{{shown}} {{t.shown_of}}</p>
<table id="audit">
<thead><tr><th>#</th><th>{{t.time}}</th><th>{{t.event}}</th><th>{{t.actor}}</th><th>{{t.item}}</th><th>{{t.details}}</th></tr></thead>
<tbody>
{{#records}}<tr><td>{{seq}}</td><td>{{time}}</td><td>{{event}}</td><td>{{actor}}</td><td>{{#item_id}}<a href="/items/{{item_id}}">{{item_id}}</a>{{/item_id}}</td><td class="details">{{details}}</td></tr>
{{/records}}
</tbody>
</table>
)"},
    {"dashboard", R"(<h1>{{t.dashboard_title}}</h1>
<section>
<h2>{{t.per_day}}</h2>
<svg id="chart" width="{{chart_width}}" height="220" viewBox="0 0 {{chart_width}} 220" role="img" aria-label="{{t.per_day}}">
{{#bars}}<rect x="{{x}}" y="{{y_blocked}}" width="24" height="{{h_blocked}}" fill="#c0392b"><title>{{day}} {{t.blocked}} {{blocked}}</title></rect>
<rect x="{{x}}" y="{{y_sanitized}}" width="24" height="{{h_sanitized}}" fill="#2e86c1"><title>{{day}} {{t.sanitized}} {{sanitized}}</title></rect>
<text x="{{label_x}}" y="215" font-size="10" text-anchor="middle">{{label}}</text>
{{/bars}}
</svg>
<p class="legend"><span class="key blocked"></span> {{t.blocked}} <span class="key sanitized"></span> {{t.sanitized}}</p>
<table id="per-day"><thead><tr><th>{{t.received}}</th><th>{{t.sanitized}}</th><th>{{t.blocked}}</th></tr></thead>
<tbody>{{#bars}}<tr><td>{{day}}</td><td>{{sanitized}}</td><td>{{blocked}}</td></tr>{{/bars}}</tbody></table>
</section>
<section>
<h2>{{t.top_reasons}}</h2>
<table id="reasons"><thead><tr><th>{{t.reason}}</th><th>{{t.count}}</th></tr></thead>
<tbody>{{#reasons}}<tr><td>{{reason}}</td><td>{{count}}</td></tr>{{/reasons}}</tbody></table>
</section>
<section>
<h2>{{t.pending}}: <a href="/requests" id="pending">{{pending}}</a></h2>
</section>
<section>
<h2>{{t.signatures}}</h2>
{{#metrics}}
<dl class="facts" id="service-metrics">
<dt>{{t.signature_version}}</dt><dd id="signature-version">{{signature_version}}</dd>
<dt>{{t.signature_age}}</dt><dd id="signature-age">{{signature_age}}</dd>
<dt>{{t.queue}}</dt><dd id="queue">{{queue}}</dd>
<dt>{{t.workers_busy}}</dt><dd>{{workers_busy}}</dd>
<dt>{{t.worker_failures}}</dt><dd id="worker-failures">{{worker_failures}}</dd>
</dl>
{{/metrics}}
{{^metrics}}<p>{{t.metrics_unavailable}}</p>{{/metrics}}
</section>
)"},
    {"message", R"(<h1>{{heading}}</h1>
<p id="message">{{message}}</p>
{{#detail}}<pre id="detail">{{detail}}</pre>{{/detail}}
<p><a href="{{back}}">{{t.back}}</a></p>
)"},
};

const std::string kCss = R"(body{font-family:"Noto Sans CJK JP","IPAGothic",sans-serif;margin:0;color:#222;background:#f7f7f5}
header{display:flex;flex-wrap:wrap;align-items:center;gap:1em;background:#1f3a5f;color:#fff;padding:.6em 1em}
header a{color:#fff}
.brand{font-weight:bold;text-decoration:none}
nav a{margin-right:1em}
.logout{margin-left:auto}
.lang a{color:#dde}
main{padding:1em 2em;max-width:72em}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top;word-break:break-word}
th{background:#e8edf3}
.blocked{color:#a93226;font-weight:bold}
.sanitized{color:#1f618d}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;background:#fff;padding:1em;border:1px solid #ccc}
dl.facts dt{font-weight:bold}
dl.facts dd{margin:0;word-break:break-word}
.action{background:#fff;border:1px solid #ccc;padding:.8em 1em;margin:1em 0}
form label{display:block;margin:.4em 0}
form.inline,form.filter label{display:inline-block;margin-right:1em}
form.login{background:#fff;border:1px solid #ccc;padding:1em;max-width:24em}
button,.button{background:#1f618d;color:#fff;border:0;padding:.45em 1em;border-radius:3px;text-decoration:none;display:inline-block;cursor:pointer;font-size:1em}
.flash{background:#e9f7ef;border:1px solid #27ae60;padding:.6em 1em;margin:1em 2em}
.error{background:#fdedec;border:1px solid #c0392b;padding:.6em 1em;margin:1em 2em}
.banner{background:#f9e79f;border:1px solid #b7950b;padding:.6em 1em;margin:0;font-weight:bold}
.note{color:#7d6608}
pre{white-space:pre-wrap;background:#fff;border:1px solid #ccc;padding:.6em}
pre.bad{border-color:#c0392b}
.key{display:inline-block;width:1em;height:1em;vertical-align:middle}
.key.blocked{background:#c0392b}.key.sanitized{background:#2e86c1}
.details{font-family:monospace;font-size:.85em}
)";

}  // namespace

const std::string& PageTemplate(const std::string& name) {
  static const std::string none;
  auto it = kPages.find(name);
  return it == kPages.end() ? none : it->second;
}

const std::string& LayoutTemplate() { return kLayout; }
const std::string& ConsoleCss() { return kCss; }

mstch::map Words(const std::string& lang) {
  mstch::map m;
  const size_t column = lang == "en" ? 2 : 1;
  for (const auto& w : kWords) m.emplace(w[0], w[column]);
  return m;
}

std::string Word(const std::string& lang, const std::string& key) {
  const size_t column = lang == "en" ? 2 : 1;
  for (const auto& w : kWords) {
    if (w[0] == key) return w[column];
  }
  return key;
}

}  // namespace mugai
