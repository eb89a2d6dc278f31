// gemini-cxx — transport-neutral HTTP request/response values (no Beast, no Asio).
#pragma once

#include <gemini/error.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace transport {

/// Where requests go: scheme, host and port of an origin.
struct origin {
  bool tls = true;
  std::string host;
  std::uint16_t port = 443;

  /// The Host header's value: "host" on the scheme's default port, else "host:port";
  /// an IPv6 literal in brackets.
  std::string host_port() const {
    std::string s;
    append_host_port(s);
    return s;
  }
  void append_host_port(std::string& out, bool with_default_port = false) const {
    bool ipv6 = host.find(':') != std::string::npos;
    if (ipv6) out += '[';
    out += host;
    if (ipv6) out += ']';
    if (!with_default_port && ((tls && port == 443) || (!tls && port == 80))) return;
    char digits[8];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, port);
    (void)ec;
    out += ':';
    out.append(digits, end);
  }
  friend bool operator==(const origin&, const origin&) = default;
};

/// The parts of a base URL such as "https://generativelanguage.googleapis.com/v1beta".
struct base_url {
  transport::origin origin;
  std::string path;  ///< "/v1beta" (no trailing slash)
};

namespace detail {
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}
}  // namespace detail

/// Parses "http[s]://host[:port][/path]"; IPv6 literals in brackets are accepted.
inline result<base_url> parse_base_url(std::string_view url) {
  base_url out;
  auto bad = [&](const char* why) {
    return gemini::error(errc::bad_configuration,
                         std::string("base URL '") + std::string(url) + "': " + why);
  };
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    out.origin.tls = true;
    out.origin.port = 443;
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    out.origin.tls = false;
    out.origin.port = 80;
    rest = url.substr(7);
  } else {
    return bad("scheme must be http:// or https://");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not allowed");
  if (authority.find_first_of("?#") != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos)
    return bad("query and fragment are not allowed");
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after IPv6 literal");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("missing host");
  if (!port.empty() || authority.back() == ':') {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || ptr != port.data() + port.size() || p == 0 || p > 65535)
      return bad("invalid port");
    out.origin.port = static_cast<std::uint16_t>(p);
  }
  out.origin.host = std::string(host);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.path = std::string(path);
  return out;
}

struct header {
  std::string name;
  std::string value;
};

/// One HTTP request. `target` is origin-form ("/v1beta/models/x:generateContent?alt=sse").
struct http_request {
  transport::origin origin;
  std::string method = "POST";
  std::string target;
  std::string body;
  std::vector<header> headers;  ///< extra headers (API key, user agent, ...)
};

struct http_response {
  int status = 0;
  std::vector<header> headers;
  std::string body;

  /// Case-insensitive header lookup; empty when absent.
  std::string_view header_value(std::string_view name) const noexcept {
    for (auto const& h : headers)
      if (detail::iequals(h.name, name)) return h.value;
    return {};
  }
};

using clock_type = std::chrono::steady_clock;

/// Time limits of one attempt: whichever comes first.
struct attempt_limits {
  clock_type::time_point deadline = clock_type::time_point::max();  ///< the caller's deadline
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};      ///< this attempt's budget
};

/// The identity `finish` of a transport's request_then (transport/concept.hpp).
struct keep_response {
  result<http_response> operator()(result<http_response> r) const { return r; }
};

}  // namespace transport
}  // namespace v1
}  // namespace gemini
