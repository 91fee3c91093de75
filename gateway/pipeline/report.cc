// Report rendering. Field names here are a public contract (ARCHITECTURE §5): add, never
// rename.
#include "gateway/pipeline/report.h"

#include "mugai/version.h"
#include "scanners/name_check.h"

namespace mugai {

const char* ReasonMessageEn(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "";
    case Reason::kMalware: return "malware detected";
    case Reason::kScanLimit: return "too large or too deeply nested to scan completely";
    case Reason::kScanError: return "the malware scan failed";
    case Reason::kExecutable: return "executable program";
    case Reason::kScript: return "script (program code)";
    case Reason::kNameInvalidUtf8: return "file name is not valid UTF-8";
    case Reason::kNameControlCharacter: return "file name contains control characters";
    case Reason::kNameBidiControl: return "file name hides its real extension (bidi control)";
    case Reason::kNameFullwidthDot: return "file name hides an executable extension";
    case Reason::kNameDoubleExtension: return "file name has a double extension";
    case Reason::kNameDangerousExtension: return "file name has an executable extension";
    case Reason::kUnknownType: return "file type could not be identified";
    case Reason::kTypeNotAllowed: return "file type is not allowed by policy";
    case Reason::kConversionFailed: return "the file could not be converted";
    case Reason::kConversionLimit: return "a conversion limit was exceeded";
    case Reason::kEncrypted: return "encrypted: resubmit with the password";
    case Reason::kArchiveLimit: return "the archive exceeds an unpacking limit (possible archive bomb)";
    case Reason::kArchiveName: return "the archive's file names cannot be trusted";
    case Reason::kArchiveBroken: return "the archive is damaged or truncated";
    case Reason::kMailLimit: return "the message exceeds a limit (parts, nesting or header size)";
    case Reason::kMailBroken: return "the message cannot be read as MIME";
    case Reason::kMemberBlocked: return "files inside the archive were blocked";
    case Reason::kAuditFailed: return "the audit record could not be written";
    case Reason::kConverterMissing:
      return "the converter for this format (LibreOffice) is not installed on the gateway";
    case Reason::kBusy:
      return "the gateway was too busy to start on it in time; it will be tried again";
    case Reason::kInputTooLarge: return "file is larger than the size limit";
    case Reason::kWorkerCrashed: return "processing crashed";
    case Reason::kWorkerMemory: return "processing exceeded its memory limit";
    case Reason::kWorkerTimeout: return "processing took too long";
    case Reason::kWorkerProtocol: return "processing returned an invalid result";
    case Reason::kVerifyFailed: return "the sanitised output failed verification";
    case Reason::kQuarantineFailed: return "the original could not be stored in quarantine";
    case Reason::kOutputFailed: return "the output could not be written";
  }
  return "blocked";
}

const char* ReasonMessageJa(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "";
    case Reason::kMalware: return "マルウェアを検出しました";
    case Reason::kScanLimit: return "サイズまたは階層が上限を超え、完全に検査できません";
    case Reason::kScanError: return "マルウェア検査に失敗しました";
    case Reason::kExecutable: return "実行ファイルです";
    case Reason::kScript: return "スクリプト（プログラム）です";
    case Reason::kNameInvalidUtf8: return "ファイル名の文字コードが不正です";
    case Reason::kNameControlCharacter: return "ファイル名に制御文字が含まれています";
    case Reason::kNameBidiControl: return "ファイル名が本当の拡張子を隠しています（方向制御文字）";
    case Reason::kNameFullwidthDot: return "ファイル名が実行形式の拡張子を隠しています";
    case Reason::kNameDoubleExtension: return "ファイル名が二重拡張子です";
    case Reason::kNameDangerousExtension: return "ファイル名の拡張子が実行形式です";
    case Reason::kUnknownType: return "ファイル形式を判別できません";
    case Reason::kTypeNotAllowed: return "ポリシーで許可されていないファイル形式です";
    case Reason::kConversionFailed: return "ファイルを変換できませんでした";
    case Reason::kConversionLimit: return "変換の上限を超えました";
    case Reason::kEncrypted: return "暗号化されています。パスワードを指定して再投入してください";
    case Reason::kArchiveLimit: return "圧縮ファイルが展開の上限を超えています（圧縮爆弾の可能性）";
    case Reason::kArchiveName: return "圧縮ファイル内のファイル名が信頼できません";
    case Reason::kArchiveBroken: return "圧縮ファイルが壊れているか途中で切れています";
    case Reason::kMailLimit: return "メールが上限（パート数・階層・ヘッダー長）を超えています";
    case Reason::kMailBroken: return "メールを MIME として読み取れません";
    case Reason::kMemberBlocked: return "圧縮ファイル内のファイルが遮断されました";
    case Reason::kAuditFailed: return "監査ログを記録できなかったため配送しません";
    case Reason::kConverterMissing:
      return "この形式の変換ソフト（LibreOffice）がゲートウェイに導入されていません";
    case Reason::kBusy:
      return "ゲートウェイが混雑しており時間内に処理を開始できませんでした（再試行されます）";
    case Reason::kInputTooLarge: return "ファイルサイズが上限を超えています";
    case Reason::kWorkerCrashed: return "処理が異常終了しました";
    case Reason::kWorkerMemory: return "処理がメモリ上限を超えました";
    case Reason::kWorkerTimeout: return "処理が時間内に終わりませんでした";
    case Reason::kWorkerProtocol: return "処理結果が不正です";
    case Reason::kVerifyFailed: return "無害化後の検証に失敗しました";
    case Reason::kQuarantineFailed: return "原本を隔離領域に保存できませんでした";
    case Reason::kOutputFailed: return "出力を書き込めませんでした";
  }
  return "遮断しました";
}

nlohmann::json NodeToJson(const NodeReport& n) {
  using nlohmann::json;
  json actions = json::array();
  for (const auto& a : n.actions) actions.push_back({{"action", a.action}, {"detail", a.detail}});
  json threats = json::array();
  for (const auto& t : n.threats) threats.push_back({{"engine", t.engine}, {"name", t.name}});
  json outputs = json::array();
  for (const auto& o : n.outputs) {
    outputs.push_back({{"name", o.name}, {"sha256", o.sha256}, {"type", o.type}});
  }
  json children = json::array();
  for (const auto& c : n.children) children.push_back(NodeToJson(c));
  json j = {
      {"name", n.name},
      {"sha256", n.sha256},
      {"size", n.size},
      {"detected_type", n.detected_type},
      {"claimed_type", n.claimed_type.empty() ? json(nullptr) : json(n.claimed_type)},
      {"verdict", VerdictName(n.verdict)},
      {"actions", actions},
      {"threats", threats},
      {"outputs", outputs},
      {"children", children},
      {"quarantine_id", n.quarantine_id.empty() ? json(nullptr) : json(n.quarantine_id)},
  };
  if (!n.charset.empty()) j["charset"] = n.charset;
  if (!n.subject.empty()) j["subject"] = n.subject;
  if (n.reason != Reason::kNone) {
    j["reason"] = {{"code", ReasonCode(n.reason)},
                   {"message", ReasonMessageEn(n.reason)},
                   {"message_ja", ReasonMessageJa(n.reason)},
                   {"detail", n.reason_detail}};
  } else {
    j["reason"] = nullptr;
  }
  return j;
}

nlohmann::json RunReport(const EngineInfo& engine, bool scanning_enabled,
                         const std::vector<NodeReport>& items) {
  using nlohmann::json;
  json list = json::array();
  int delivered = 0, blocked = 0, failed = 0;
  for (const auto& item : items) {
    list.push_back(NodeToJson(item));
    if (item.internal_failure) ++failed;
    else if (item.verdict == Verdict::kBlocked) ++blocked;
    else ++delivered;
  }
  return {
      {"mugai_version", MUGAI_VERSION},
      {"scanner",
       {{"engine", engine.engine_version},
        {"enabled", scanning_enabled},
        {"signatures", engine.signature_count},
        {"database_version", engine.database_version},
        {"database_time", engine.database_time},
        {"signatures_path", engine.signatures_path}}},
      {"items", list},
      {"summary", {{"delivered", delivered}, {"blocked", blocked}, {"failed", failed}}},
  };
}

namespace {
std::string ActionSummary(const NodeReport& n) {
  std::string out;
  for (const auto& a : n.actions) {
    if (!out.empty()) out += "; ";
    out += VisibleName(a.action) + (a.detail.empty() ? "" : " (" + VisibleName(a.detail) + ")");
  }
  return out;
}
}  // namespace

std::string HumanNotice(const std::vector<NodeReport>& items) {
  std::string out;
  for (const auto& n : items) {
    if (n.verdict == Verdict::kBlocked || n.internal_failure) {
      out += "BLOCKED 遮断  " + VisibleName(n.name) + "\n";
      if (!n.subject.empty()) out += "  件名 subject: " + VisibleName(n.subject) + "\n";
      out += "  理由: " + std::string(ReasonMessageJa(n.reason));
      out += "\n  reason: " + std::string(ReasonMessageEn(n.reason));
      if (!n.reason_detail.empty()) out += " — " + VisibleName(n.reason_detail);
      out += "\n";
      if (!n.quarantine_id.empty()) out += "  隔離 quarantined: " + n.quarantine_id + "\n";
    } else {
      const char* label = n.verdict == Verdict::kClean ? "DELIVERED 配送  " : "SANITIZED 無害化 ";
      for (const auto& o : n.outputs) {
        out += std::string(label) + VisibleName(n.name) + " → " + VisibleName(o.path) + "\n";
      }
      if (!n.subject.empty()) out += "  件名 subject: " + VisibleName(n.subject) + "\n";
      if (n.verdict == Verdict::kSanitized) {
        out += "  処理 actions: " + ActionSummary(n) + "\n";
      }
      for (const auto& c : n.children) {
        if (c.verdict != Verdict::kBlocked) continue;
        out += "  除去 removed: " + VisibleName(c.name) + " — " + ReasonMessageJa(c.reason) +
               " / " + ReasonMessageEn(c.reason) + "\n";
      }
    }
  }
  return out;
}

}  // namespace mugai
