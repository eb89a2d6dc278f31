// gemini-cxx — UTF-8 checks without dependencies (used by request validation, metrics
// exposition and log lines).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace detail {

/// The length of the valid UTF-8 sequence at `p` (1 to 4), 0 when it is not one.
inline int utf8_sequence(const unsigned char* p, const unsigned char* end) noexcept {
  unsigned char c = *p;
  if (c < 0x80) return 1;
  int n;
  std::uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (end - p <= n) return 0;
  for (int i = 1; i <= n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n + 1;
}

/// True when `s` is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
inline bool valid_utf8(std::string_view s) noexcept {
  auto const* p = reinterpret_cast<const unsigned char*>(s.data());
  auto const* end = p + s.size();
  while (p < end) {
    // ASCII eight bytes at a time (prompts are mostly ASCII).
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    const int n = utf8_sequence(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

/// `s` with every byte that does not start a valid sequence replaced by U+FFFD (what a
/// Prometheus label value or a JSON log line must hold).
inline std::string utf8_replaced(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto const* p = reinterpret_cast<const unsigned char*>(s.data());
  auto const* end = p + s.size();
  while (p < end) {
    int n = utf8_sequence(p, end);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++p;
    } else {
      out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
      p += n;
    }
  }
  return out;
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
