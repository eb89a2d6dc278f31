// gemini-cxx — the hiredis parts of the Redis connection: RESP formatting with
// redisFormatCommandArgv and parsing with redisReader (hiredis 0.14 API). No I/O here:
// the connection does all I/O on Asio. Internal; include <gemini/redis/connection.hpp>.
#pragma once

#include <gemini/redis/reply.hpp>

#include <hiredis/hiredis.h>

#include <climits>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace redis {
namespace detail {

struct reader_deleter {
  void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

inline reader_ptr make_reader() {
  redisReader* r = redisReaderCreate();
  if (r == nullptr) throw std::bad_alloc();
  return reader_ptr(r);
}

struct reply_object_deleter {
  void operator()(void* r) const noexcept { freeReplyObject(r); }
};
using reply_object_ptr = std::unique_ptr<void, reply_object_deleter>;

/// Deep copy of a hiredis reply tree into a gemini::redis::reply.
inline reply to_reply(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING: return reply::make_string(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS: return reply::make_status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR: return reply::make_error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER: return reply::make_integer(static_cast<std::int64_t>(r.integer));
    case REDIS_REPLY_ARRAY: {
      std::vector<reply> elements;
      elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(to_reply(*r.element[i]));
      return reply::make_array(std::move(elements));
    }
    default: return reply::make_nil();  // REDIS_REPLY_NIL
  }
}

/// Appends the RESP encoding of one command ("*N\r\n$len\r\narg\r\n...") to `out`.
/// Arguments are binary-safe. Returns false (and appends nothing) for an empty command
/// or one over ~1 GiB (too large for hiredis 0.14's int lengths).
inline bool append_command(std::string& out, std::span<const std::string_view> args) {
  // hiredis 0.14 computes the encoded length in an int.
  constexpr std::size_t limit = static_cast<std::size_t>(INT_MAX) / 2;
  if (args.empty() || args.size() > limit / 32) return false;
  std::size_t total = 0;
  std::vector<const char*> argv(args.size());
  std::vector<std::size_t> argvlen(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data() != nullptr ? args[i].data() : "";
    argvlen[i] = args[i].size();
    total += args[i].size() + 32;
    if (total > limit) return false;
  }
  char* target = nullptr;
  int n =
      redisFormatCommandArgv(&target, static_cast<int>(args.size()), argv.data(), argvlen.data());
  if (n < 0 || target == nullptr) {
    if (target != nullptr) redisFreeCommand(target);
    throw std::bad_alloc();  // the only failure left: malloc returned NULL
  }
  struct free_command {
    char* p;
    ~free_command() { redisFreeCommand(p); }
  } guard{target};
  out.append(target, static_cast<std::size_t>(n));
  return true;
}

/// The hiredis reader of one connection.
class resp_reader {
 public:
  resp_reader() : r_(make_reader()) {}

  /// Adds received bytes; false on a reader error (see error()).
  bool feed(const char* data, std::size_t n) {
    return redisReaderFeed(r_.get(), data, n) == REDIS_OK;
  }

  /// The next complete reply: a reply, nullopt when more bytes are needed, or sets
  /// `protocol_error` (the stream cannot be parsed; the connection must be dropped).
  std::optional<reply> next(bool& protocol_error) {
    void* raw = nullptr;
    if (redisReaderGetReply(r_.get(), &raw) != REDIS_OK) {
      protocol_error = true;
      return std::nullopt;
    }
    if (raw == nullptr) return std::nullopt;
    reply_object_ptr owned(raw);
    return to_reply(*static_cast<const redisReply*>(raw));
  }

  std::string error() const { return std::string(r_->errstr); }

 private:
  reader_ptr r_;
};

}  // namespace detail
}  // namespace redis
}  // namespace v1
}  // namespace gemini
