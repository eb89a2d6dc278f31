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
// milliseconds, clamped to gemini::max_server_delay), QuotaFailure (→ error::quota), ErrorInfo (→
// reason, domain, metadata) and Help (→ error::help). Others (LocalizedMessage, DebugInfo, ...) are
// ignored. The code is errc_from_http(status, google status, any per-day quota violation, ErrorInfo
// reason). A 429 / RESOURCE_EXHAUSTED without RetryInfo takes its delay from a "Please retry
// in 41.3s." hint in the message (detail::retry_hint). apply_retry_after() adds an HTTP Retry-After
// header's delay when the body gave none.
//
// Thread safety: reentrant. Never throws except std::bad_alloc.
#pragma once

#include <gemini/error.hpp>
#include <gemini/wire/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
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

/// A server's delay as the library keeps it: at most gemini::max_server_delay.
constexpr std::chrono::milliseconds clamp_server_delay(std::chrono::milliseconds d) noexcept {
  return std::clamp(d, std::chrono::milliseconds::zero(), max_server_delay);
}

/// `num` ("41", "41.319911917", "0.5") times `unit_ms` milliseconds, rounded up to whole
/// milliseconds and clamped to max_server_delay; nullopt unless `num` is digits with at most
/// one '.' between digits. Never overflows, however many digits.
inline std::optional<std::chrono::milliseconds> decimal_delay(std::string_view num,
                                                              std::int64_t unit_ms) noexcept {
  constexpr std::int64_t cap = max_server_delay.count();
  std::size_t i = 0;
  std::int64_t whole = 0;
  bool big = false;
  while (i < num.size() && num[i] >= '0' && num[i] <= '9') {
    whole = whole * 10 + (num[i] - '0');
    if (whole > cap) {  // in any unit of at least 1 ms: over the cap
      big = true;
      whole = cap;
    }
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::int64_t frac = 0;  // nanos of the unit, 9 digits
  bool more = false;      // nonzero digits past the 9th: round up
  if (i < num.size()) {
    if (num[i] != '.') return std::nullopt;
    ++i;
    std::size_t digits = 0;
    while (i < num.size() && num[i] >= '0' && num[i] <= '9') {
      if (digits < 9)
        frac = frac * 10 + (num[i] - '0');
      else if (num[i] != '0')
        more = true;
      ++digits;
      ++i;
    }
    if (digits == 0 || i != num.size()) return std::nullopt;
    for (std::size_t k = digits; k < 9; ++k) frac *= 10;
  }
  if (big || whole > cap / unit_ms) return max_server_delay;
  std::int64_t ms = whole * unit_ms + (frac * unit_ms + 999'999'999) / 1'000'000'000;
  if (more && (frac * unit_ms) % 1'000'000'000 == 0) ++ms;
  return clamp_server_delay(std::chrono::milliseconds(ms));
}

constexpr char lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

/// Position just past the first case-insensitive occurrence of `needle` (lower case), or npos.
inline std::size_t ifind_end(std::string_view hay, std::string_view needle) noexcept {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower_ascii(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i + k;
  }
  return std::string_view::npos;
}

/// The delay of a retry hint in an error message: "... Please retry in 41.319911917s."
/// (Gemini), "Please try again in 20s." / "in 350ms" / "in 1.5s" / "in 6m0s" (OpenAI), "Retry
/// in 2m". Units ms, s, m, h, possibly chained ("1m30s"), each right after its number and not
/// followed by a letter. Rounded up to whole milliseconds, clamped to max_server_delay;
/// nullopt when there is no such hint.
inline std::optional<std::chrono::milliseconds> retry_hint(std::string_view m) noexcept {
  std::size_t pos = ifind_end(m, "retry in ");
  if (pos == std::string_view::npos) pos = ifind_end(m, "try again in ");
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view rest = m.substr(pos);
  std::int64_t total = 0;
  bool any = false;
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
    std::size_t n = 0;
    while (n < rest.size() && ((rest[n] >= '0' && rest[n] <= '9') || rest[n] == '.')) ++n;
    std::string_view num = rest.substr(0, n);
    rest.remove_prefix(n);
    std::int64_t unit_ms = 0;
    std::size_t unit_len = 1;
    if (rest.starts_with("ms")) {
      unit_ms = 1;
      unit_len = 2;
    } else if (rest.starts_with("s")) {
      unit_ms = 1000;
    } else if (rest.starts_with("m")) {
      unit_ms = 60'000;
    } else if (rest.starts_with("h")) {
      unit_ms = 3'600'000;
    }
    if (unit_ms == 0 || (rest.size() > unit_len && is_letter(rest[unit_len]))) return std::nullopt;
    rest.remove_prefix(unit_len);
    auto d = decimal_delay(num, unit_ms);
    if (!d) return std::nullopt;
    total = std::min(total + d->count(), max_server_delay.count());
    any = true;
  }
  if (!any) return std::nullopt;
  return std::chrono::milliseconds(total);
}

/// An HTTP-date (RFC 9110 §5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", and the
/// obsolete rfc850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994".
/// Seconds precision (any 4-digit year fits; no nanosecond overflow).
inline std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view s) noexcept {
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr std::string_view days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view long_days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                   "Friday", "Saturday", "Sunday"};
  auto number = [&](std::string_view t, std::size_t n, int& out) {
    if (t.size() < n) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = t[i];
      if (c == ' ' && i == 0 && n == 2) continue;  // asctime pads the day with a space
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  auto month = [&](std::string_view t, int& out) {
    for (int i = 0; i < 12; ++i)
      if (t.substr(0, 3) == months[i]) {
        out = i + 1;
        return true;
      }
    return false;
  };
  auto one_of = [](std::string_view t, auto const& names) {
    for (auto n : names)
      if (t == n) return true;
    return false;
  };
  int day = 0, mon = 0, year = 0, hh = 0, mm = 0, ss = 0;
  auto clock = [&](std::string_view t) {  // "08:49:37"
    return t.size() == 8 && number(t, 2, hh) && t[2] == ':' && number(t.substr(3), 2, mm) &&
           t[5] == ':' && number(t.substr(6), 2, ss);
  };
  bool ok = false;
  if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {  // IMF-fixdate
    ok = one_of(s.substr(0, 3), days) && s[4] == ' ' && number(s.substr(5), 2, day) &&
         s[7] == ' ' && month(s.substr(8), mon) && s[11] == ' ' && number(s.substr(12), 4, year) &&
         s[16] == ' ' && clock(s.substr(17, 8));
  } else if (auto comma = s.find(", "); comma != std::string_view::npos && comma > 3 &&
                                        s.size() == comma + 24 && s.ends_with(" GMT")) {
    std::string_view t = s.substr(comma + 2);  // "06-Nov-94 08:49:37 GMT"
    ok = one_of(s.substr(0, comma), long_days) && number(t, 2, day) && t[2] == '-' &&
         month(t.substr(3), mon) && t[6] == '-' && number(t.substr(7), 2, year) && t[9] == ' ' &&
         clock(t.substr(10, 8));
    year += year < 70 ? 2000 : 1900;
  } else if (s.size() == 24) {  // asctime
    ok = one_of(s.substr(0, 3), days) && s[3] == ' ' && month(s.substr(4), mon) && s[7] == ' ' &&
         number(s.substr(8), 2, day) && s[10] == ' ' && clock(s.substr(11, 8)) && s[19] == ' ' &&
         number(s.substr(20), 4, year);
  }
  if (!ok || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(year),
                                  std::chrono::month(static_cast<unsigned>(mon)),
                                  std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(ss);
}

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
    if (auto delay = parse_duration(json_str(d, "retryDelay")))
      e.retry_delay = clamp_server_delay(*delay);
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
  if (!e.retry_delay && (e.http_status == 429 || e.status == "RESOURCE_EXHAUSTED"))
    e.retry_delay = detail::retry_hint(e.message);
  return e;
}

/// Sets `e.retry_delay` from an HTTP `Retry-After` header value (RFC 9110 §10.2.3) when the
/// body gave none (RetryInfo wins): delay-seconds ("120") or an HTTP-date ("Sun, 06 Nov 1994
/// 08:49:37 GMT"; also the obsolete rfc850 and asctime forms), the date's distance from `now`
/// rounded up to whole milliseconds. Clamped to gemini::max_server_delay. Garbage, negative
/// numbers and dates before `now` are ignored (e is left as it is).
inline void apply_retry_after(
    gemini::error& e, std::string_view header_value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
  if (e.retry_delay) return;
  std::string_view v = detail::trim(header_value);
  if (v.empty()) return;
  if (v.front() >= '0' && v.front() <= '9') {
    if (v.find_first_not_of("0123456789") != std::string_view::npos) return;
    e.retry_delay = detail::decimal_delay(v, 1000);
    return;
  }
  auto when = detail::parse_http_date(v);
  if (!when) return;
  // Compared in seconds first: a date centuries ahead would overflow nanoseconds.
  if (*when - std::chrono::floor<std::chrono::seconds>(now) > max_server_delay) {
    e.retry_delay = max_server_delay;
    return;
  }
  auto left = *when - now;
  if (left < left.zero()) return;  // in the past
  e.retry_delay = detail::clamp_server_delay(std::chrono::ceil<std::chrono::milliseconds>(left));
}

}  // namespace wire
}  // namespace v1
}  // namespace gemini
