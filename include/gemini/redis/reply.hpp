// gemini-cxx — one RESP (Redis protocol) reply as a plain value type.
//
// `gemini::redis::reply` owns everything it holds: it is built from hiredis's redisReply
// by the connection and no hiredis object escapes. This header includes only the standard
// library, so code that handles replies (a cache policy, tests) does not pay for Asio or
// hiredis.
//
// Thread safety: a value type (distinct objects may be used from different threads).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace redis {

/// The RESP2 reply kinds.
enum class reply_type : int {
  nil = 0,      ///< null bulk string or null array ("$-1", "*-1"): GET of a missing key
  status = 1,   ///< simple string: "+OK", "+PONG"
  error = 2,    ///< error reply: "-ERR ...", "-WRONGTYPE ..." (a successful result: the
                ///< command reached the server, which refused it)
  integer = 3,  ///< ":42"
  string = 4,   ///< bulk string: binary-safe (may hold NUL bytes)
  array = 5,    ///< multi-bulk: MGET, KEYS, EXEC, ...
};

inline const char* to_string(reply_type t) noexcept {
  switch (t) {
    case reply_type::nil: return "nil";
    case reply_type::status: return "status";
    case reply_type::error: return "error";
    case reply_type::integer: return "integer";
    case reply_type::string: return "string";
    case reply_type::array: return "array";
  }
  return "unknown";
}

/// One reply. Accessors never throw: `str()` is empty unless the reply is a status, error
/// or string; `integer()` is 0 unless it is an integer; `elements()` is empty unless it is
/// an array. Check `type()` (or the `is_*` helpers, or `as_string()` / `as_integer()`).
///
/// Example:
///   auto r = co_await conn.command("GET", key);
///   if (r && r->is_string()) use(r->str());      // hit
///   else if (r && r->is_nil()) miss();           // no such key
class reply {
 public:
  /// A nil reply.
  reply() = default;

  static reply make_nil() { return reply{}; }
  static reply make_status(std::string text) { return reply(reply_type::status, std::move(text)); }
  static reply make_error(std::string text) { return reply(reply_type::error, std::move(text)); }
  static reply make_string(std::string bytes) {
    return reply(reply_type::string, std::move(bytes));
  }
  static reply make_integer(std::int64_t v) {
    reply r;
    r.type_ = reply_type::integer;
    r.integer_ = v;
    return r;
  }
  static reply make_array(std::vector<reply> elements) {
    reply r;
    r.type_ = reply_type::array;
    r.elements_ = std::move(elements);
    return r;
  }

  reply_type type() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == reply_type::nil; }
  bool is_status() const noexcept { return type_ == reply_type::status; }
  bool is_error() const noexcept { return type_ == reply_type::error; }
  bool is_integer() const noexcept { return type_ == reply_type::integer; }
  bool is_string() const noexcept { return type_ == reply_type::string; }
  bool is_array() const noexcept { return type_ == reply_type::array; }

  /// The bytes of a string, or the text of a status or error reply.
  const std::string& str() const& noexcept { return str_; }
  std::string& str() & noexcept { return str_; }
  /// Moves the bytes out (a large cached value is not copied).
  std::string&& str() && noexcept { return std::move(str_); }

  std::int64_t integer() const noexcept { return integer_; }

  const std::vector<reply>& elements() const& noexcept { return elements_; }
  std::vector<reply>& elements() & noexcept { return elements_; }
  std::vector<reply>&& elements() && noexcept { return std::move(elements_); }

  /// The bytes when this is a string (bulk) reply, otherwise nullopt.
  std::optional<std::string_view> as_string() const noexcept {
    if (type_ != reply_type::string) return std::nullopt;
    return std::string_view(str_);
  }
  /// The value when this is an integer reply, otherwise nullopt.
  std::optional<std::int64_t> as_integer() const noexcept {
    if (type_ != reply_type::integer) return std::nullopt;
    return integer_;
  }
  /// True for a status reply with exactly this text, e.g. `r.is_status("OK")`.
  bool is_status(std::string_view text) const noexcept {
    return type_ == reply_type::status && str_ == text;
  }

  friend bool operator==(const reply& a, const reply& b) {
    return a.type_ == b.type_ && a.integer_ == b.integer_ && a.str_ == b.str_ &&
           a.elements_ == b.elements_;
  }

  /// redis-cli style: `(nil)`, `OK`, `(error) ERR ...`, `(integer) 3`, `"bytes"` (escaped,
  /// long values shortened), `[...]` for arrays.
  friend std::ostream& operator<<(std::ostream& os, const reply& r) {
    switch (r.type_) {
      case reply_type::nil: return os << "(nil)";
      case reply_type::status: return os << r.str_;
      case reply_type::error: return os << "(error) " << r.str_;
      case reply_type::integer: return os << "(integer) " << r.integer_;
      case reply_type::string: {
        constexpr std::size_t shown = 200;
        os << '"';
        for (std::size_t i = 0; i < r.str_.size() && i < shown; ++i) {
          auto c = static_cast<unsigned char>(r.str_[i]);
          if (c == '"' || c == '\\') {
            os << '\\' << static_cast<char>(c);
          } else if (c >= 0x20 && c < 0x7f) {
            os << static_cast<char>(c);
          } else {
            constexpr char hex[] = "0123456789abcdef";
            os << "\\x" << hex[c >> 4] << hex[c & 0xf];
          }
        }
        os << '"';
        if (r.str_.size() > shown) os << "... (" << r.str_.size() << " bytes)";
        return os;
      }
      case reply_type::array: {
        os << '[';
        for (std::size_t i = 0; i < r.elements_.size(); ++i) {
          if (i != 0) os << ", ";
          os << r.elements_[i];
        }
        return os << ']';
      }
    }
    return os;
  }

 private:
  reply(reply_type t, std::string s) : type_(t), str_(std::move(s)) {}

  reply_type type_ = reply_type::nil;
  std::int64_t integer_ = 0;
  std::string str_;
  std::vector<reply> elements_;
};

}  // namespace redis
}  // namespace v1
}  // namespace gemini
