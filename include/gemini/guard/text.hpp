// gemini-cxx — characters a person does not see: control characters, zero-width
// characters, bidirectional overrides, Unicode tag characters (which can spell a hidden
// instruction). Count, strip, or decode them. Input is valid UTF-8 (the client refuses
// anything else before the guard runs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace guard {

/// Classes of invisible characters.
enum class invisible : std::uint8_t {
  none,
  control,     ///< C0 controls but TAB, LF, CR; DEL; C1 controls (U+0080-U+009F)
  zero_width,  ///< U+200B-U+200D, U+2060-U+2064, U+FEFF, U+180E, U+00AD (soft hyphen)
  bidi,        ///< U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C
  tag,         ///< U+E0000-U+E007F (tag characters: invisible ASCII)
};

/// Counts per class.
struct invisible_counts {
  std::size_t control = 0, zero_width = 0, bidi = 0, tag = 0;
  std::size_t total() const noexcept { return control + zero_width + bidi + tag; }
};

namespace detail {

/// Decodes the code point at s[i] (valid UTF-8 assumed; a bad byte is taken as itself).
inline char32_t code_point_at(std::string_view s, std::size_t i, std::size_t& len) noexcept {
  auto u = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = u(0);
  if (c < 0x80 || i + 1 >= s.size()) {
    len = 1;
    return c;
  }
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    return static_cast<char32_t>(((c & 0x1f) << 6) | (u(1) & 0x3f));
  }
  if ((c & 0xf0) == 0xe0 && i + 2 < s.size()) {
    len = 3;
    return static_cast<char32_t>(((c & 0x0f) << 12) | ((u(1) & 0x3f) << 6) | (u(2) & 0x3f));
  }
  if ((c & 0xf8) == 0xf0 && i + 3 < s.size()) {
    len = 4;
    return static_cast<char32_t>(((c & 0x07) << 18) | ((u(1) & 0x3f) << 12) | ((u(2) & 0x3f) << 6) |
                                 (u(3) & 0x3f));
  }
  len = 1;
  return c;
}

}  // namespace detail

/// The class of one code point.
constexpr invisible classify(char32_t c) noexcept {
  if (c < 0x20) return (c == '\t' || c == '\n' || c == '\r') ? invisible::none : invisible::control;
  if (c == 0x7f || (c >= 0x80 && c <= 0x9f)) return invisible::control;
  if ((c >= 0x200b && c <= 0x200d) || (c >= 0x2060 && c <= 0x2064) || c == 0xfeff || c == 0x180e ||
      c == 0xad)
    return invisible::zero_width;
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f ||
      c == 0x61c)
    return invisible::bidi;
  if (c >= 0xe0000 && c <= 0xe007f) return invisible::tag;
  return invisible::none;
}

/// How many invisible characters of each class `s` holds.
inline invisible_counts count_invisible(std::string_view s) noexcept {
  invisible_counts n;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7f) {  // printable ASCII: the common case
      ++i;
      continue;
    }
    std::size_t len = 1;
    switch (classify(detail::code_point_at(s, i, len))) {
      case invisible::control: ++n.control; break;
      case invisible::zero_width: ++n.zero_width; break;
      case invisible::bidi: ++n.bidi; break;
      case invisible::tag: ++n.tag; break;
      case invisible::none: break;
    }
    i += len;
  }
  return n;
}

/// Removes every invisible character from `s` in place; returns how many were removed.
inline std::size_t strip_invisible(std::string& s) {
  std::size_t out = 0, removed = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 1;
    unsigned char b = static_cast<unsigned char>(s[i]);
    bool drop = false;
    if (b < 0x20 || b >= 0x7f) drop = classify(detail::code_point_at(s, i, len)) != invisible::none;
    if (drop) {
      ++removed;
    } else {
      for (std::size_t k = 0; k < len; ++k) s[out++] = s[i + k];
    }
    i += len;
  }
  s.resize(out);
  return removed;
}

/// The ASCII text spelled by tag characters (U+E0020-U+E007E → ' '-'~'), "" when none.
inline std::string decode_tags(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 1;
    char32_t c = static_cast<unsigned char>(s[i]) >= 0x80 ? detail::code_point_at(s, i, len)
                                                          : static_cast<unsigned char>(s[i]);
    if (c >= 0xe0020 && c <= 0xe007e) out.push_back(static_cast<char>(c - 0xe0000));
    i += len;
  }
  return out;
}

}  // namespace guard
}  // namespace v1
}  // namespace gemini
