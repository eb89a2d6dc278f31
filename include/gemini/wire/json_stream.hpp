// gemini-cxx — incremental splitter for a streamed JSON array (gemini-wire.md §5.2).
//
// streamGenerateContent without `?alt=sse` answers with one JSON array whose elements arrive
// one by one: `[{...}\r\n,\r\n{...}\r\n]` (any JSON whitespace). Errors on that path are
// array-wrapped: `[{"error": {...}}]`. This parser cuts the byte stream into the text of each
// top-level element; it tracks strings, escapes, braces and brackets but does not parse the
// JSON inside an element (wire/json.hpp does that).
//
//     wire::json_array_stream_parser p;
//     std::string element;
//     while (auto n = read_some(buf)) {                 // any split, even byte by byte
//       if (auto r = p.feed({buf, n}); !r) return r.error();
//       while (p.next(element)) handle(element);        // `{"candidates": ...}`
//     }
//     if (auto r = p.finish(); !r) return r.error();    // truncated_stream / bad_json
//     while (p.next(element)) handle(element);
//
// Accepted: an optional UTF-8 BOM, JSON whitespace, `[`, elements separated by `,`, `]`, then
// only whitespace. Elements may be objects, arrays, strings or scalars (numbers, true, false,
// null are passed through unvalidated: their text ends at whitespace, `,` or `]`).
// Errors (sticky: once reported, feed() and finish() keep returning the same code):
//  - errc::bad_json: text before `[`, junk between elements, a missing or extra `,`, a
//    mismatched `}`/`]` inside an element, anything but whitespace after the closing `]`.
//  - errc::payload_too_large: one element longer than max_element_bytes.
//  - errc::truncated_stream (finish() only): the array was not opened or not closed.
// Elements completed before an error stay available from next().
//
// Memory: one element buffer (at most max_element_bytes) plus queued elements. next() swaps
// the element into the caller's string, whose old buffer is recycled, so a steady stream
// read into one reused string does not allocate. No per-byte allocation.
//
// Thread safety: none (one parser per stream). Lifetime: feed() does not keep the view.
#pragma once

#include <gemini/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace wire {

namespace detail {

/// Follows the nesting of one JSON value that starts with `{`, `[` or `"`, across any number
/// of scan() calls, and finds the byte that closes it. String- and escape-aware; checks that
/// `}` closes `{` and `]` closes `[`. Does not validate anything else.
class json_nesting {
 public:
  enum class status : std::uint8_t { open, closed, mismatch };

  /// Scans `s`. On `closed`, `used` is one past the closing byte; on `open`, `used` is
  /// s.size(); on `mismatch`, `used` is the offending byte.
  status scan(std::string_view s, std::size_t& used) {
    const char* const b = s.data();
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
      if (in_string_) {
        if (escape_) {
          escape_ = false;
          ++i;
          continue;
        }
        // Jump to the next quote; a backslash before it escapes one byte.
        const void* q = std::memchr(b + i, '"', n - i);
        const std::size_t qe = q ? static_cast<std::size_t>(static_cast<const char*>(q) - b) : n;
        const void* bs = std::memchr(b + i, '\\', qe - i);
        if (bs) {
          i = static_cast<std::size_t>(static_cast<const char*>(bs) - b) + 1;
          escape_ = true;
          continue;
        }
        if (!q) {
          i = n;
          break;
        }
        i = qe + 1;
        in_string_ = false;
        if (stack_.empty()) {
          used = i;
          return status::closed;
        }
        continue;
      }
      const char c = b[i];
      switch (c) {
        case '"': in_string_ = true; break;
        case '{':
        case '[': stack_.push_back(c); break;
        case '}':
        case ']':
          if (stack_.empty() || stack_.back() != (c == '}' ? '{' : '[')) {
            used = i;
            return status::mismatch;
          }
          stack_.pop_back();
          if (stack_.empty()) {
            used = i + 1;
            return status::closed;
          }
          break;
        default: break;
      }
      ++i;
    }
    used = n;
    return status::open;
  }

  /// True between values (nothing open).
  bool idle() const noexcept { return stack_.empty() && !in_string_; }

  void reset() noexcept {
    stack_.clear();
    in_string_ = false;
    escape_ = false;
  }

 private:
  std::string stack_;  // open `{` / `[`, innermost last; capacity kept across values
  bool in_string_ = false;
  bool escape_ = false;
};

/// FIFO of strings that keeps its slots (and their capacity) for reuse.
class string_queue {
 public:
  /// Moves the content of `s` in (by swap: `s` receives a recycled buffer, cleared).
  void push_swap(std::string& s) {
    if (tail_ == slots_.size()) slots_.emplace_back();
    slots_[tail_].swap(s);
    s.clear();
    ++tail_;
  }
  bool pop_swap(std::string& out) {
    if (head_ == tail_) return false;
    out.swap(slots_[head_]);
    if (++head_ == tail_) head_ = tail_ = 0;
    return true;
  }
  std::size_t size() const noexcept { return tail_ - head_; }
  void clear() noexcept {
    for (std::size_t i = head_; i < tail_; ++i) slots_[i].clear();
    head_ = tail_ = 0;
  }

 private:
  std::vector<std::string> slots_;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace detail

/// Splits a streamed JSON array into the text of its top-level elements. See the file comment.
class json_array_stream_parser {
 public:
  static constexpr std::size_t default_max_element_bytes = std::size_t{16} << 20;

  explicit json_array_stream_parser(
      std::size_t max_element_bytes = default_max_element_bytes) noexcept
      : max_(max_element_bytes) {}

  /// Consumes `bytes` (any split). Complete elements become available from next().
  result<void> feed(std::string_view bytes) {
    if (failed_ != errc::success) return fail_again();
    const char* const b = bytes.data();
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
      switch (state_) {
        case state::bom:
          if (static_cast<unsigned char>(b[i]) == bom_[bom_seen_]) {
            ++i;
            if (++bom_seen_ == 3) state_ = state::before_array;
            continue;
          }
          if (bom_seen_ != 0) return fail(errc::bad_json, "incomplete byte order mark", i);
          state_ = state::before_array;
          continue;
        case state::before_array:
          if (is_space(b[i])) {
            ++i;
            continue;
          }
          if (b[i] != '[') return fail(errc::bad_json, "expected '[' to open the array", i);
          ++i;
          state_ = state::first_element;
          continue;
        case state::first_element:
        case state::element:
          if (is_space(b[i])) {
            ++i;
            continue;
          }
          if (b[i] == ']' && state_ == state::first_element) {
            ++i;
            state_ = state::done;
            continue;
          }
          if (!starts_value(b[i])) return fail(errc::bad_json, "expected an array element", i);
          scalar_ = !(b[i] == '{' || b[i] == '[' || b[i] == '"');
          state_ = state::in_element;
          continue;
        case state::in_element: {
          auto r = scan_element(bytes, i);
          if (!r) return r;
          continue;
        }
        case state::after_element:
          if (is_space(b[i])) {
            ++i;
            continue;
          }
          if (b[i] == ',') {
            state_ = state::element;
          } else if (b[i] == ']') {
            state_ = state::done;
          } else {
            return fail(errc::bad_json, "expected ',' or ']' after an array element", i);
          }
          ++i;
          continue;
        case state::done:
          if (!is_space(b[i])) return fail(errc::bad_json, "text after the closing ']'", i);
          ++i;
          continue;
      }
    }
    offset_ += n;
    return {};
  }

  /// At end of input: errc::truncated_stream unless the array was opened and closed. A scalar
  /// element ended by EOF is not delivered (the array is unclosed anyway).
  result<void> finish() {
    if (failed_ != errc::success) return fail_again();
    if (state_ == state::done) return {};
    failed_ = errc::truncated_stream;
    message_ = state_ == state::bom || state_ == state::before_array
                   ? "stream ended before the JSON array was opened"
                   : "stream ended before the JSON array was closed";
    return fail_again();
  }

  /// Pops the next complete element into `out` (replacing its content). False when none.
  bool next(std::string& out) { return ready_.pop_swap(out); }

  /// Elements ready for next().
  std::size_t pending() const noexcept { return ready_.size(); }

  /// True once the closing `]` has been seen.
  bool closed() const noexcept { return state_ == state::done; }

  /// Forgets everything (including a sticky error); keeps buffer capacity.
  void reset() noexcept {
    state_ = state::bom;
    bom_seen_ = 0;
    scalar_ = false;
    nesting_.reset();
    element_.clear();
    ready_.clear();
    failed_ = errc::success;
    message_.clear();
    offset_ = 0;
  }

 private:
  enum class state : std::uint8_t {
    bom,
    before_array,
    first_element,
    element,
    in_element,
    after_element,
    done
  };

  static constexpr unsigned char bom_[3] = {0xEF, 0xBB, 0xBF};

  static constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }
  static constexpr bool is_scalar_end(char c) noexcept {
    return is_space(c) || c == ',' || c == ']';
  }
  static constexpr bool starts_value(char c) noexcept {
    return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' ||
           c == 'f' || c == 'n';
  }

  // Consumes element bytes from bytes[i...]; on completion queues the element.
  result<void> scan_element(std::string_view bytes, std::size_t& i) {
    const std::string_view rest = bytes.substr(i);
    std::size_t used = 0;
    bool complete = false;
    if (scalar_) {
      while (used < rest.size() && !is_scalar_end(rest[used])) ++used;
      complete = used < rest.size();
    } else {
      switch (nesting_.scan(rest, used)) {
        case detail::json_nesting::status::open: break;
        case detail::json_nesting::status::closed: complete = true; break;
        case detail::json_nesting::status::mismatch:
          return fail(errc::bad_json, "mismatched '}' or ']' in an array element", i + used);
      }
    }
    if (element_.size() + used > max_)
      return fail(errc::payload_too_large, "array element larger than the configured limit",
                  i + used);
    element_.append(rest.data(), used);
    i += used;
    if (complete) {
      ready_.push_swap(element_);
      state_ = state::after_element;
    }
    return {};
  }

  result<void> fail(errc e, const char* what, std::size_t at) {
    failed_ = e;
    message_ = what;
    message_ += " (at byte ";
    message_ += std::to_string(offset_ + at);
    message_ += ')';
    return fail_again();
  }
  result<void> fail_again() const { return result<void>(failed_, message_); }

  std::size_t max_;
  state state_ = state::bom;
  std::uint8_t bom_seen_ = 0;
  bool scalar_ = false;
  detail::json_nesting nesting_;
  std::string element_;
  detail::string_queue ready_;
  errc failed_ = errc::success;
  std::string message_;
  std::size_t offset_ = 0;  // bytes consumed by earlier feed() calls
};

}  // namespace wire
}  // namespace v1
}  // namespace gemini
