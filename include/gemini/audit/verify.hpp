// gemini-cxx — verifying an audit log (audit/log.hpp): every record's HMAC, the chain of
// `prev` hashes and sequence numbers across the rotated files, the head checkpoint (a log
// cut off after it is found), and optionally every record's AES-GCM tag and plaintext.
// Reports the first bad record. examples/audit_verify.cpp is the command-line tool.
#pragma once

#include <gemini/audit/crypto.hpp>
#include <gemini/audit/keys.hpp>
#include <gemini/audit/log.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace audit {

struct verify_options {
  bool decrypt = true;  ///< check every record's GCM tag (and hand the plaintext to on_record)
  /// Called for each good call record with its clear JSON and, when decrypting, its
  /// plaintext JSON ({"prompt","sanitized","response"}).
  std::function<void(const boost::json::object& clear, std::string_view plain)> on_record;
};

struct bad_record {
  std::string file;
  std::uint64_t line = 0;  ///< 1-based, in `file`
  std::uint64_t seq = 0;   ///< the sequence number expected there
  std::string reason;
};

struct verify_report {
  std::uint64_t records = 0, checkpoints = 0, files = 0;
  bool torn_tail = false;  ///< the live file ends in a partial line (a crash while writing)
  std::optional<bad_record> bad;
  bool ok() const noexcept { return !bad.has_value(); }
  std::string summary() const {
    if (bad)
      return "BAD: " + bad->file + " line " + std::to_string(bad->line) + " (seq " +
             std::to_string(bad->seq) + "): " + bad->reason;
    return "ok: " + std::to_string(records) + " records, " + std::to_string(checkpoints) +
           " checkpoints in " + std::to_string(files) + " file(s)" +
           (torn_tail ? "; a partial last line (crash while writing) was ignored" : "");
  }
};

namespace detail {

struct line_check {
  std::string reason;  // empty: good
  boost::json::object obj;
};

/// Checks one line's shape and MAC. `mac_part` is what the MAC covers.
inline line_check check_line(std::string_view line, const keyring& keys) {
  line_check c;
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) {
    c.reason = "not a JSON object";
    return c;
  }
  c.obj = std::move(v.as_object());
  auto str = [&](const char* k) -> const boost::json::string* {
    auto* p = c.obj.if_contains(k);
    return p && p->is_string() ? &p->as_string() : nullptr;
  };
  auto* kid = str("kid");
  auto* h = str("h");
  auto* seq = c.obj.if_contains("seq");
  if (!kid || !h || !seq || !seq->is_int64() || !str("prev") || !str("type")) {
    c.reason = "missing seq, type, kid, prev or h";
    return c;
  }
  const key* k = keys.find(*kid);
  if (!k) {
    c.reason = "unknown key id \"" + std::string(*kid) + "\"";
    return c;
  }
  if (gemini::audit::detail::authentic(line, *k) == std::string_view::npos)
    c.reason = "record modified (its HMAC does not match, or text follows it)";
  return c;
}

}  // namespace detail

/// Verifies path.1, path.2, …, path (the order they were written) and path.head.
inline verify_report verify(const std::string& path, const keyring& keys,
                            const verify_options& vo = {}) {
  verify_report rep;
  std::vector<std::string> files;
  for (unsigned i = 1; gemini::audit::detail::file_exists(path + "." + std::to_string(i)); ++i)
    files.push_back(path + "." + std::to_string(i));
  if (gemini::audit::detail::file_exists(path)) files.push_back(path);
  auto fail = [&](const std::string& f, std::uint64_t line, std::uint64_t seq, std::string why) {
    rep.bad = bad_record{f, line, seq, std::move(why)};
    return rep;
  };
  if (files.empty()) return fail(path, 0, 1, "no log file");

  // The head: the newest checkpoint, MAC'd; the log must reach it.
  std::string head_file = path + ".head";
  std::string head = gemini::audit::detail::last_line(head_file, false);
  if (head.empty()) return fail(head_file, 1, 0, "no head file (it holds the latest checkpoint)");
  auto hc = detail::check_line(head, keys);
  if (!hc.reason.empty()) return fail(head_file, 1, 0, hc.reason);
  std::uint64_t head_seq = static_cast<std::uint64_t>(hc.obj.at("seq").as_int64());
  std::string head_h(hc.obj.at("h").as_string());
  bool head_seen = false;

  std::uint64_t expect = 1;
  std::string prev = gemini::audit::detail::zero_hash();
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const std::string& f = files[fi];
    std::ifstream in(f, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++rep.files;
    std::size_t pos = 0;
    std::uint64_t line_no = 0;
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      ++line_no;
      if (nl == std::string::npos) {
        if (fi + 1 == files.size()) {
          rep.torn_tail = true;  // a crash inside a write: the record never completed
          break;
        }
        return fail(f, line_no, expect, "partial line inside a rotated file");
      }
      std::string_view line(text.data() + pos, nl - pos);
      pos = nl + 1;
      auto c = detail::check_line(line, keys);
      if (!c.reason.empty()) return fail(f, line_no, expect, c.reason);
      auto seq = static_cast<std::uint64_t>(c.obj.at("seq").as_int64());
      if (seq != expect)
        return fail(f, line_no, expect,
                    "sequence " + std::to_string(seq) + " where " + std::to_string(expect) +
                        " was expected (" +
                        (seq > expect ? "records deleted" : "a record inserted or reordered") +
                        ")");
      if (c.obj.at("prev").as_string() != prev)
        return fail(f, line_no, expect,
                    "does not link to the previous record (inserted, deleted or reordered)");
      prev = std::string(c.obj.at("h").as_string());
      auto type = c.obj.at("type").as_string();
      if (type == "checkpoint") {
        ++rep.checkpoints;
        if (seq == head_seq) {
          if (prev != head_h) return fail(f, line_no, expect, "differs from the head checkpoint");
          head_seen = true;
        }
      } else if (type == "call") {
        ++rep.records;
        if (vo.decrypt || vo.on_record) {
          std::string plain;
          if (vo.decrypt) {
            std::size_t at = line.find(",\"nonce\":\"");
            auto* nonce = c.obj.if_contains("nonce");
            auto* ct = c.obj.if_contains("ct");
            unsigned char n[crypto::nonce_size];
            const key* k = keys.find(c.obj.at("kid").as_string());
            std::optional<std::string> sealed;
            if (nonce && nonce->is_string() && ct && ct->is_string())
              sealed = crypto::unbase64(ct->as_string());
            std::optional<std::string> opened;
            if (at != std::string_view::npos && sealed &&
                crypto::unhex(nonce->as_string(), n, sizeof n))
              opened = crypto::open(k->enc, n, line.substr(0, at), *sealed);
            if (!opened) return fail(f, line_no, expect, "the encrypted part does not decrypt");
            plain = std::move(*opened);
          }
          if (vo.on_record) vo.on_record(c.obj, plain);
          OPENSSL_cleanse(plain.data(), plain.size());
        }
      } else {
        return fail(f, line_no, expect, "unknown record type");
      }
      ++expect;
    }
  }
  if (!head_seen)
    return fail(files.back(), 0, head_seq,
                "the log ends before the head checkpoint (seq " + std::to_string(head_seq) +
                    "): records were cut off the end");
  return rep;
}

}  // namespace audit
}  // namespace v1
}  // namespace gemini
