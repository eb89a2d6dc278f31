// gemini-cxx — HTTPS_PROXY / HTTP_PROXY / NO_PROXY handling (pure logic).
#pragma once

#include <gemini/transport/http.hpp>

#include <boost/describe/class.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace transport {

namespace detail {
inline std::string base64(std::string_view in) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i < in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    if (i + 1 < in.size()) v |= (unsigned char)in[i + 1] << 8;
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

inline std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return r;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace detail

/// Which proxy, if any, a connection goes through. Requests to https:// origins use
/// `https_proxy`, to http:// origins `http_proxy`; both tunnel with HTTP CONNECT.
struct proxy_settings {
  std::optional<base_url> https_proxy;
  std::optional<base_url> http_proxy;
  /// NO_PROXY entries: "*", "host", ".domain" / "domain" (matches sub-domains),
  /// optionally with ":port"; IP literals match exactly. CIDR ranges are not supported.
  std::vector<std::string> no_proxy;
  std::string authorization;  ///< "Basic ..." from user:password in the proxy URL

  /// Parses a proxy URL such as "http://user:pw@proxy.corp:3128" (scheme optional).
  static result<base_url> parse_proxy_url(std::string_view url, std::string* authorization) {
    std::string u(detail::trim(url));
    if (u.find("://") == std::string::npos) u = "http://" + u;
    auto scheme_end = u.find("://") + 3;
    auto at = u.find('@', scheme_end);
    auto slash = u.find('/', scheme_end);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      if (authorization)
        *authorization = "Basic " + detail::base64(u.substr(scheme_end, at - scheme_end));
      u.erase(scheme_end, at - scheme_end + 1);
    }
    auto parsed = parse_base_url(u);
    if (!parsed) {
      // Never echo the URL: it may contain a password.
      return gemini::error(errc::bad_configuration, "proxy URL is invalid");
    }
    if (parsed->origin.tls)
      return gemini::error(errc::bad_configuration,
                           "https:// proxies are not supported; use http:// with CONNECT");
    if (u.rfind(':') <= scheme_end) parsed->origin.port = 3128;
    return parsed;
  }

  /// Reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY (either case). Invalid values are ignored.
  static proxy_settings from_environment() {
    auto env = [](const char* upper, const char* lower_name) -> std::string {
      if (const char* v = std::getenv(lower_name); v && *v) return v;
      if (const char* v = std::getenv(upper); v && *v) return v;
      return {};
    };
    proxy_settings s;
    if (auto v = env("HTTPS_PROXY", "https_proxy"); !v.empty()) {
      if (auto p = parse_proxy_url(v, &s.authorization)) s.https_proxy = *p;
    }
    if (auto v = env("HTTP_PROXY", "http_proxy"); !v.empty()) {
      std::string auth;
      if (auto p = parse_proxy_url(v, &auth)) {
        s.http_proxy = *p;
        if (s.authorization.empty()) s.authorization = auth;
      }
    }
    s.no_proxy = split_no_proxy(env("NO_PROXY", "no_proxy"));
    return s;
  }

  static std::vector<std::string> split_no_proxy(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
      auto comma = list.find(',');
      auto item = detail::trim(list.substr(0, comma));
      if (!item.empty()) out.push_back(detail::lower(item));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    return out;
  }

  /// True when `o` must be reached directly.
  bool bypass(const origin& o) const {
    std::string host = detail::lower(o.host);
    for (auto const& entry : no_proxy) {
      if (entry == "*") return true;
      std::string_view e = entry;
      std::string_view port;
      if (auto colon = e.rfind(':');
          colon != std::string_view::npos && e.find(':') == colon) {  // not an IPv6 literal
        port = e.substr(colon + 1);
        e = e.substr(0, colon);
      }
      if (!port.empty() && port != std::to_string(o.port)) continue;
      if (!e.empty() && e.front() == '.') e.remove_prefix(1);
      if (host == e) return true;
      if (host.size() > e.size() && host.compare(host.size() - e.size(), e.size(), e) == 0 &&
          host[host.size() - e.size() - 1] == '.')
        return true;
    }
    return false;
  }

  /// The proxy to use for `o`, or nothing for a direct connection.
  std::optional<base_url> proxy_for(const origin& o) const {
    const auto& p = o.tls ? https_proxy : http_proxy;
    if (!p || bypass(o)) return std::nullopt;
    return p;
  }
};
BOOST_DESCRIBE_STRUCT(proxy_settings, (), (https_proxy, http_proxy, no_proxy, authorization))

}  // namespace transport
}  // namespace v1
}  // namespace gemini
