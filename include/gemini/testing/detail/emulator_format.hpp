// gemini-cxx — emulator internals: JSON text in Google's two styles, hashing, ids.
// Not part of the public API.
#pragma once

#include <boost/json.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace testing {
namespace detail {

namespace json = boost::json;

inline void append_number(std::string& out, const json::value& v) {
  char buf[64];
  std::to_chars_result r{};
  switch (v.kind()) {
    case json::kind::int64: r = std::to_chars(buf, buf + sizeof buf, v.get_int64()); break;
    case json::kind::uint64: r = std::to_chars(buf, buf + sizeof buf, v.get_uint64()); break;
    case json::kind::double_: {
      double d = v.get_double();
      if (d != d) d = 0;  // NaN never reaches the wire
      r = std::to_chars(buf, buf + sizeof buf, d);
      break;
    }
    default: return;
  }
  out.append(buf, r.ptr);
}

inline void append_string(std::string& out, std::string_view s) {
  out += json::serialize(json::string_view(s.data(), s.size()));
}

/// One line, Google's spacing: a space after every ':' and none after ','
/// (`{"a": 1,"b": [1,2]}`), as in the SSE events of the real service.
inline void write_compact(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (auto const& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_string(out, kv.key());
        out += ": ";
        write_compact(out, kv.value());
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (auto const& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_compact(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::string: append_string(out, v.get_string()); break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::null: out += "null"; break;
    default: append_number(out, v); break;
  }
}

inline std::string compact(const json::value& v) {
  std::string s;
  write_compact(s, v);
  return s;
}

/// Pretty-printed with two-space indentation, as the real unary and error bodies are.
inline void write_pretty(std::string& out, const json::value& v, int indent = 0) {
  auto pad = [&out](int n) { out.append(static_cast<std::size_t>(n), ' '); };
  switch (v.kind()) {
    case json::kind::object: {
      auto const& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        break;
      }
      out += "{\n";
      bool first = true;
      for (auto const& kv : o) {
        if (!first) out += ",\n";
        first = false;
        pad(indent + 2);
        append_string(out, kv.key());
        out += ": ";
        write_pretty(out, kv.value(), indent + 2);
      }
      out += '\n';
      pad(indent);
      out += '}';
      break;
    }
    case json::kind::array: {
      auto const& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        break;
      }
      out += "[\n";
      bool first = true;
      for (auto const& e : a) {
        if (!first) out += ",\n";
        first = false;
        pad(indent + 2);
        write_pretty(out, e, indent + 2);
      }
      out += '\n';
      pad(indent);
      out += ']';
      break;
    }
    default: write_compact(out, v); break;
  }
}

inline std::string pretty(const json::value& v) {
  std::string s;
  write_pretty(s, v);
  s += '\n';
  return s;
}

/// FNV-1a 64.
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A 23-character responseId-looking string derived from `seed`.
inline std::string response_id(std::uint64_t seed) {
  std::string id;
  std::uint64_t st = seed;
  std::uint64_t bits = splitmix64(st);
  for (int i = 0; i < 23; ++i) {
    if (i % 10 == 0) bits = splitmix64(st);
    id += base64url_alphabet[bits & 63];
    bits >>= 6;
  }
  return id;
}

inline std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int n = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    n += 8;
    while (n >= 6) {
      n -= 6;
      out += base64url_alphabet[(acc >> n) & 63];
    }
  }
  if (n > 0) out += base64url_alphabet[(acc << (6 - n)) & 63];
  return out;
}

inline bool base64url_decode(std::string_view in, std::string& out) {
  std::uint32_t acc = 0;
  int n = 0;
  for (char c : in) {
    auto pos = base64url_alphabet.find(c);
    if (pos == std::string_view::npos) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    n += 6;
    if (n >= 8) {
      n -= 8;
      out += static_cast<char>((acc >> n) & 0xff);
    }
  }
  return true;
}

/// "7s", "7.5s", "0.25s": a protobuf Duration as Google writes it in RetryInfo.
inline std::string duration_string(std::int64_t ms) {
  if (ms < 0) ms = 0;
  std::string s = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    char frac[4] = {static_cast<char>('0' + (ms % 1000) / 100),
                    static_cast<char>('0' + (ms % 100) / 10), static_cast<char>('0' + ms % 10), 0};
    std::string f(frac);
    while (!f.empty() && f.back() == '0') f.pop_back();
    s += '.' + f;
  }
  return s + 's';
}

}  // namespace detail
}  // namespace testing
}  // namespace v1
}  // namespace gemini
