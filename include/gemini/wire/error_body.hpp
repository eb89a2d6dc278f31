// gemini-cxx — error bodies → gemini::error (gemini-wire.md §7). No I/O.
//
//     if (status / 100 != 2) return gemini::wire::parse_error_body(status, body);
//
// Accepts `{"error":{code,message,status,details[]}}`, the same wrapped in an array
// (`[{"error":{...}}]`, the non-SSE streaming form) and bodies that are not JSON at all
// (proxies, gateways): then the message is the body text (at most 512 bytes, cut on a UTF-8
// boundary) and the code comes from the HTTP status alone.
//
// Details read: google.rpc.RetryInfo (retryDelay → error::retry_delay, rounded up to whole
// milliseconds), QuotaFailure (→ error::quota), ErrorInfo (→ reason, domain, metadata) and
// Help (→ error::help). Others (LocalizedMessage, DebugInfo, ...) are ignored. The code is
// errc_from_http(status, google status, any per-day quota violation, ErrorInfo reason).
//
// Thread safety: reentrant. Never throws except std::bad_alloc.
#pragma once

#include <gemini/error.hpp>
#include <gemini/wire/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace wire {

/// Parses a protobuf Duration string as used by RetryInfo.retryDelay: `^\d+(\.\d{1,9})?s$`
/// ("7s", "0.5s", "45.837906927s"). Rounds up to whole milliseconds (45.837906927s →
/// 45838ms). Returns nullopt for anything else (negative, exponent, missing `s`, spaces,
/// more than 9 fraction digits, over 315576000000 s, the protobuf maximum).
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) noexcept {
  if (s.size() < 2 || s.back() != 's') return std::nullopt;
  s.remove_suffix(1);
  std::size_t i = 0;
  std::int64_t secs = 0;
  std::size_t int_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (++int_digits > 12) return std::nullopt;
    secs = secs * 10 + (s[i] - '0');
    ++i;
  }
  if (int_digits == 0 || secs > 315576000000LL) return std::nullopt;
  std::int64_t nanos = 0;
  if (i < s.size()) {
    if (s[i] != '.') return std::nullopt;
    ++i;
    std::size_t frac_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (++frac_digits > 9) return std::nullopt;
      nanos = nanos * 10 + (s[i] - '0');
      ++i;
    }
    if (frac_digits == 0 || i != s.size()) return std::nullopt;
    for (std::size_t k = frac_digits; k < 9; ++k) nanos *= 10;
  }
  std::int64_t ms = secs * 1000 + (nanos + 999'999) / 1'000'000;
  return std::chrono::milliseconds(ms);
}

namespace detail {

inline std::string_view json_str(const boost::json::object& o, std::string_view key) noexcept {
  if (auto const* v = o.if_contains(key))
    if (auto const* s = v->if_string()) return {s->data(), s->size()};
  return {};
}

/// A JSON value as text for metadata maps: strings as-is, anything else serialized.
inline std::string json_text(const boost::json::value& v) {
  if (auto const* s = v.if_string()) return std::string(s->data(), s->size());
  return boost::json::serialize(v);
}

/// At most `max` bytes of `s`, never cutting a UTF-8 sequence, with "..." when cut.
inline std::string truncate_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::string out(s.substr(0, n));
  out += "...";
  return out;
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

inline void read_detail(const boost::json::object& d, gemini::error& e) {
  std::string_view type = json_str(d, "@type");
  if (auto slash = type.rfind('/'); slash != std::string_view::npos) type.remove_prefix(slash + 1);
  if (type == "google.rpc.RetryInfo") {
    if (auto delay = parse_duration(json_str(d, "retryDelay"))) e.retry_delay = delay;
  } else if (type == "google.rpc.QuotaFailure") {
    auto const* vs = d.if_contains("violations");
    if (!vs || !vs->is_array()) return;
    for (auto const& v : vs->get_array()) {
      auto const* vo = v.if_object();
      if (!vo) continue;
      quota_violation q;
      q.metric = std::string(json_str(*vo, "quotaMetric"));
      q.id = std::string(json_str(*vo, "quotaId"));
      if (auto const* val = vo->if_contains("quotaValue"); val && !val->is_null())
        q.value = json_text(*val);
      if (auto const* dims = vo->if_contains("quotaDimensions"); dims && dims->is_object())
        for (auto const& kv : dims->get_object())
          q.dimensions.emplace_back(std::string(kv.key()), json_text(kv.value()));
      e.quota.push_back(std::move(q));
    }
  } else if (type == "google.rpc.ErrorInfo") {
    e.reason = std::string(json_str(d, "reason"));
    e.domain = std::string(json_str(d, "domain"));
    if (auto const* md = d.if_contains("metadata"); md && md->is_object())
      for (auto const& kv : md->get_object())
        e.metadata.emplace_back(std::string(kv.key()), json_text(kv.value()));
  } else if (type == "google.rpc.Help") {
    auto const* links = d.if_contains("links");
    if (!links || !links->is_array()) return;
    for (auto const& l : links->get_array())
      if (auto const* lo = l.if_object())
        e.help.push_back(help_link{std::string(json_str(*lo, "description")),
                                   std::string(json_str(*lo, "url"))});
  }
}

/// Fills `e` from an `{"error": {...}}` object; false when the shape is not that.
inline bool read_error_object(const boost::json::value& root, gemini::error& e) {
  auto const* top = root.if_object();
  if (!top) return false;
  auto const* ev = top->if_contains("error");
  if (!ev) return false;
  if (auto const* s = ev->if_string()) {  // {"error": "text"} (some gateways)
    e.message = std::string(s->data(), s->size());
    return true;
  }
  auto const* eo = ev->if_object();
  if (!eo) return false;
  if (auto const* c = eo->if_contains("code")) {
    if (c->is_int64())
      e.http_status = static_cast<int>(c->get_int64());
    else if (c->is_uint64())
      e.http_status = static_cast<int>(c->get_uint64());
  }
  e.message = std::string(json_str(*eo, "message"));
  e.status = std::string(json_str(*eo, "status"));
  if (auto const* ds = eo->if_contains("details"); ds && ds->is_array())
    for (auto const& d : ds->get_array())
      if (auto const* dob = d.if_object()) read_detail(*dob, e);
  return true;
}

}  // namespace detail

/// Builds a gemini::error from a non-2xx response body (see the top of this file).
/// `http_status` is the response status, or 0 for an error object found inside a 200 stream
/// (then the body's `code` is used as the status). When `http_status` is 0 and the body is
/// JSON but not an error object, the result has an empty message and http_status 0.
inline gemini::error parse_error_body(int http_status, std::string_view body) {
  gemini::error e;
  std::string_view text = detail::trim(body);
  bool shaped = false;
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) {
    alignas(std::max_align_t) unsigned char buf[4096];
    boost::json::monotonic_resource mr(buf, sizeof buf);
    if (auto v = parse_value(text, &mr)) {
      const boost::json::value* root = &*v;
      if (auto const* a = root->if_array(); a && !a->empty()) root = &a->front();
      shaped = detail::read_error_object(*root, e);
      if (!shaped) {
        e = gemini::error{};
        if (http_status == 0) {
          e.code = make_error_code(errc::unknown);
          return e;  // JSON, but not an error: nothing to report
        }
      }
    }
  }
  if (http_status != 0) e.http_status = http_status;
  if (!shaped) {
    e.message = text.empty() ? "HTTP " + std::to_string(http_status) + " with an empty body"
                             : detail::truncate_utf8(text, 512);
  }
  e.code = make_error_code(errc_from_http(e.http_status, e.status, e.per_day_quota(), e.reason));
  return e;
}

}  // namespace wire
}  // namespace v1
}  // namespace gemini
