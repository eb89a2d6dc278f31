// gemini-cxx — incremental Server-Sent Events parser for `?alt=sse` (gemini-wire.md §5.1).
//
// Pure logic: bytes in, events out; no I/O, no callbacks, no JSON parsing. The payloads are
// handed to wire/json.hpp by the caller.
//
//     wire::sse_parser p;                                // limit: 16 MiB per event
//     wire::sse_event ev;                                // reuse it: next() recycles buffers
//     while (auto n = read_some(buf)) {                  // any split, even byte by byte
//       if (auto r = p.feed({buf, n}); !r) return r.error();
//       while (p.next(ev)) handle(ev);                   // ev.raw_json: a bare JSON object
//     }
//     if (auto r = p.finish(); !r) return r.error();     // e.g. errc::truncated_stream
//     while (p.next(ev)) handle(ev);
//
// Rules (WHATWG HTML "event stream interpretation", plus what Gemini needs):
//  - Lines end in CRLF, LF or CR. A CR ending one feed() and an LF starting the next are one
//    line end. A CR dispatches at once (the parser never waits to see whether LF follows).
//  - One UTF-8 BOM at the very start of the stream is skipped.
//  - `data:` lines: the prefix and one optional space are stripped; several data lines of one
//    event are joined with '\n'. A line `data` (no colon) adds an empty line.
//  - `event:` sets sse_event::event for the next dispatch (empty means "message").
//    `id:` sets the last event id (kept across events, as in EventSource; ignored if it
//    contains NUL). `retry:` with only ASCII digits sets retry().
//  - Lines starting with ':' are comments; other fields are ignored.
//  - A blank line dispatches the event; a blank line with no data line before it is a no-op.
//  - Raw JSON (Gemini specific): a line whose first byte is '{' or '[' is not a field line.
//    Google sends errors that way mid-stream, pretty-printed over several lines. The parser
//    first dispatches any event whose data lines are pending (as if a blank line came), then
//    collects lines, joined with '\n', until the braces/brackets balance (string- and
//    escape-aware), and delivers them as one event with raw_json == true (data only; event
//    and id empty). Text after the closing brace on the same line is dropped unless it starts
//    another object or array. A `}` that closes a `[` is errc::bad_json.
//  - finish() (at EOF) dispatches an event whose data lines were not followed by a blank line
//    (the Firebase fixture ends with a single CRLF). An unterminated last line is
//    errc::truncated_stream, unless it is part of a raw JSON object that it closes (error
//    bodies often end without a line end); so is a raw JSON object still open.
//
// Errors are sticky: after one, feed() and finish() return the same code again; events
// completed before the error stay available from next(). errc::payload_too_large: one line,
// one event's joined data, or one raw JSON object exceeds max_event_bytes (memory is bounded
// by about twice that).
//
// Cost: lines are found with memchr; complete lines are read in place from the fed bytes and
// only a line cut by a feed boundary is copied to a carry buffer. Event buffers are recycled
// (next() swaps them with the caller's event), so a steady stream does not allocate.
//
// Thread safety: none (one parser per stream). Lifetime: feed() does not keep the view.
#pragma once

#include <gemini/error.hpp>
#include <gemini/wire/json_stream.hpp>  // detail::json_nesting

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace wire {

/// One dispatched event.
struct sse_event {
  std::string data;       ///< data lines joined with '\n'; or the raw JSON text when raw_json
  std::string event;      ///< `event:` field; empty means the default type "message"
  std::string id;         ///< last event id seen so far (EventSource semantics); empty if none
  bool raw_json = false;  ///< a bare JSON object/array that was not inside a `data:` field

  friend bool operator==(const sse_event&, const sse_event&) = default;
};

/// Incremental text/event-stream parser. See the file comment for the rules.
class sse_parser {
 public:
  static constexpr std::size_t default_max_event_bytes = std::size_t{16} << 20;

  explicit sse_parser(std::size_t max_event_bytes = default_max_event_bytes) noexcept
      : max_(max_event_bytes) {}

  /// Consumes `bytes` (any split). Complete events become available from next().
  result<void> feed(std::string_view bytes) {
    if (failed_ != errc::success) return fail_again();
    const char* const b = bytes.data();
    const std::size_t n = bytes.size();
    std::size_t pos = 0;
    if (n != 0 && pending_cr_) {
      pending_cr_ = false;
      if (b[0] == '\n') pos = 1;
    }
    // Cached positions of the next CR and LF at or after `pos` (n: none in this feed).
    std::size_t cr = npos_, lf = npos_;
    while (pos < n) {
      if (cr == npos_ || cr < pos) cr = find(b, n, pos, '\r');
      if (lf == npos_ || lf < pos) lf = find(b, n, pos, '\n');
      const std::size_t end = cr < lf ? cr : lf;
      if (end == n) {  // no line end: carry the partial line over
        if (carry_.size() + (n - pos) > max_)
          return fail(errc::payload_too_large, "SSE line longer than the configured limit");
        carry_.append(b + pos, n - pos);
        break;
      }
      if (carry_.size() + (end - pos) > max_)
        return fail(errc::payload_too_large, "SSE line longer than the configured limit");
      std::size_t next = end + 1;
      if (end == cr) {
        if (next == n)
          pending_cr_ = true;
        else if (b[next] == '\n')
          ++next;
      }
      bool good;
      if (carry_.empty()) {
        good = line(std::string_view(b + pos, end - pos));
      } else {
        carry_.append(b + pos, end - pos);
        good = line(carry_);
        carry_.clear();
      }
      if (!good) return fail_again();
      pos = next;
    }
    return {};
  }

  /// At end of input: flushes a pending event; errc::truncated_stream for an unterminated
  /// last line (unless it completes a raw JSON object) or an unclosed raw JSON object.
  result<void> finish() {
    if (failed_ != errc::success) return fail_again();
    if (!carry_.empty()) {
      std::string_view rest = carry_;
      if (at_start_ && rest.starts_with(std::string_view(bom_))) rest.remove_prefix(3);
      if (!rest.empty() && !in_raw_ && rest.front() != '{' && rest.front() != '[')
        return fail(errc::truncated_stream, "SSE stream ended inside a line");
      const bool good = line(carry_);  // a bare JSON object may end without a line end
      carry_.clear();
      if (!good) return fail_again();
    }
    if (in_raw_) return fail(errc::truncated_stream, "SSE stream ended inside a raw JSON object");
    dispatch();
    return {};
  }

  /// Pops the next event into `out` (all fields replaced; buffers swapped, not copied).
  bool next(sse_event& out) {
    if (head_ == tail_) return false;
    sse_event& e = slots_[head_];
    out.data.swap(e.data);
    out.event.swap(e.event);
    out.id.swap(e.id);
    out.raw_json = e.raw_json;
    if (++head_ == tail_) head_ = tail_ = 0;
    return true;
  }

  /// Events ready for next().
  std::size_t pending() const noexcept { return tail_ - head_; }

  /// The last valid `retry:` value, if any.
  std::optional<std::chrono::milliseconds> retry() const noexcept { return retry_; }

  /// The last event id (what EventSource would send back as Last-Event-ID).
  const std::string& last_event_id() const noexcept { return last_id_; }

  /// Forgets everything (including a sticky error); keeps buffer capacity.
  void reset() noexcept {
    carry_.clear();
    data_.clear();
    type_.clear();
    last_id_.clear();
    retry_.reset();
    nesting_.reset();
    for (std::size_t i = head_; i < tail_; ++i) slots_[i].data.clear();
    head_ = tail_ = 0;
    has_data_ = in_raw_ = pending_cr_ = false;
    at_start_ = true;
    failed_ = errc::success;
    message_.clear();
  }

 private:
  static constexpr std::size_t npos_ = static_cast<std::size_t>(-1);
  static constexpr char bom_[] = "\xEF\xBB\xBF";

  static std::size_t find(const char* b, std::size_t n, std::size_t from, char c) noexcept {
    const void* p = std::memchr(b + from, c, n - from);
    return p ? static_cast<std::size_t>(static_cast<const char*>(p) - b) : n;
  }

  // One complete line, without its terminator. False on error (failed_ is set).
  bool line(std::string_view l) {
    if (at_start_) {
      at_start_ = false;
      if (l.starts_with(std::string_view(bom_))) l.remove_prefix(3);
    }
    if (in_raw_) return raw_line(l);
    if (l.empty()) {
      dispatch();
      return true;
    }
    if (l.starts_with("data: ")) return append_data(l.substr(6));  // Gemini's only field
    const char c0 = l.front();
    if (c0 == ':') return true;
    if (c0 == '{' || c0 == '[') {
      dispatch();
      in_raw_ = true;
      return raw_line(l);
    }
    std::string_view field = l, value;
    if (const auto colon = l.find(':'); colon != std::string_view::npos) {
      field = l.substr(0, colon);
      value = l.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
      return append_data(value);
    } else if (field == "event") {
      type_.assign(value);
    } else if (field == "id") {
      if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
    } else if (field == "retry") {
      parse_retry(value);
    }
    return true;
  }

  bool append_data(std::string_view value) {
    const std::size_t sep = has_data_ ? 1 : 0;
    if (data_.size() + sep + value.size() > max_)
      return fail_bool(errc::payload_too_large, "SSE event larger than the configured limit");
    if (sep) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
    return true;
  }

  // A line of a raw JSON object (in_raw_ is set).
  bool raw_line(std::string_view l) {
    for (;;) {
      std::size_t used = 0;
      const auto st = nesting_.scan(l, used);
      if (st == detail::json_nesting::status::mismatch)
        return fail_bool(errc::bad_json,
                         "mismatched '}' or ']' in a raw JSON object in an SSE stream");
      const std::size_t sep = data_.empty() ? 0 : 1;
      if (data_.size() + sep + used > max_)
        return fail_bool(errc::payload_too_large,
                         "raw JSON object larger than the configured limit");
      if (sep) data_.push_back('\n');
      data_.append(l.data(), used);
      if (st == detail::json_nesting::status::open) return true;
      // Closed: deliver it, then look at what follows on the same line.
      in_raw_ = false;
      push(true);
      l.remove_prefix(used);
      while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
      if (l.empty() || (l.front() != '{' && l.front() != '[')) return true;
      in_raw_ = true;
    }
  }

  void parse_retry(std::string_view v) noexcept {
    if (v.empty()) return;
    std::uint64_t ms = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return;
      if (ms > (std::uint64_t{1} << 53)) return;  // absurd; ignore
      ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
    }
    retry_ = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
  }

  // Blank line (or EOF, or a raw JSON object starting): dispatch if there is data.
  void dispatch() {
    if (has_data_) push(false);
    type_.clear();
  }

  void push(bool raw) {
    if (tail_ == slots_.size()) slots_.emplace_back();
    sse_event& e = slots_[tail_++];
    e.data.swap(data_);
    data_.clear();
    if (raw) {
      e.event.clear();
      e.id.clear();
    } else {
      e.event.assign(type_);
      e.id.assign(last_id_);
    }
    e.raw_json = raw;
    has_data_ = false;
  }

  bool fail_bool(errc e, const char* what) {
    failed_ = e;
    message_ = what;
    return false;
  }
  result<void> fail(errc e, const char* what) {
    fail_bool(e, what);
    return fail_again();
  }
  result<void> fail_again() const { return result<void>(failed_, message_); }

  std::size_t max_;
  std::string carry_;    // a line cut by a feed boundary
  std::string data_;     // data of the event being built, or the raw JSON text
  std::string type_;     // event type buffer
  std::string last_id_;  // last event id buffer
  std::optional<std::chrono::milliseconds> retry_;
  detail::json_nesting nesting_;
  std::vector<sse_event> slots_;  // ready events in [head_, tail_); slots are reused
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
  bool has_data_ = false;
  bool in_raw_ = false;
  bool pending_cr_ = false;
  bool at_start_ = true;
  errc failed_ = errc::success;
  std::string message_;
};

}  // namespace wire
}  // namespace v1
}  // namespace gemini
