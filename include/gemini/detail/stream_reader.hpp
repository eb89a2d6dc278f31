// gemini-cxx — reading one streamed answer: Gemini SSE chunks, or OpenAI chat-completion
// chunks translated to Gemini chunks, delivered as they arrive and accumulated.
#pragma once

#include <gemini/detail/request.hpp>
#include <gemini/error.hpp>
#include <gemini/wire/accumulator.hpp>
#include <gemini/wire/error_body.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/openai.hpp>
#include <gemini/wire/sse.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace detail {

/// A move-only, type-erased chunk handler (one allocation per streaming call).
class chunk_callback {
 public:
  template <class F>
  explicit chunk_callback(F f) : impl_(std::make_unique<holder<F>>(std::move(f))) {}
  void operator()(const wire::generate_content_response& chunk) { impl_->call(chunk); }

 private:
  struct base {
    virtual ~base() = default;
    virtual void call(const wire::generate_content_response&) = 0;
  };
  template <class F>
  struct holder final : base {
    explicit holder(F f) : fn(std::move(f)) {}
    void call(const wire::generate_content_response& chunk) override { fn(chunk); }
    F fn;
  };
  std::unique_ptr<base> impl_;
};

/// Reads the body of an opened stream to its end. `deliver(chunk)` is called with each
/// chunk (it may rewrite it: the guard's filter) before it is accumulated; `delivered`
/// turns true with the first one. A non-2xx status reads the error body (the transport
/// bounds its size). `s`, `deliver` and `delivered` live in the awaiting caller's frame.
template <class Stream, class Deliver>
boost::asio::awaitable<result<wire::generate_content_response>> read_stream(Stream& s, bool openai,
                                                                            Deliver& deliver,
                                                                            bool& delivered) {
  std::string buf;
  if (s.status() / 100 != 2) {
    for (;;) {
      auto n = co_await s.read_some(buf);
      if (!n) co_return std::move(n).error();
      if (*n == 0) break;
    }
    if (openai) co_return wire::openai::parse_chat_error(s.status(), buf);
    co_return wire::parse_error_body(s.status(), buf);
  }
  wire::sse_parser parser;
  std::optional<wire::openai::chunk_translator> translator;
  if (openai) translator.emplace();
  wire::sse_event ev;
  wire::response_accumulator acc;
  auto fail = [&](gemini::error e) {
    e.partial_text = acc.response().text();
    return e;
  };
  auto hand_over = [&](wire::generate_content_response& chunk) {
    delivered = true;
    deliver(chunk);
    acc.add(std::move(chunk));
  };
  // Delivers every complete event; an error event ends the stream.
  auto drain = [&]() -> std::optional<gemini::error> {
    while (parser.next(ev)) {
      if (translator) {
        auto t = translator->translate(ev.data);
        if (!t) return fail(std::move(t).error());
        if (*t) hand_over(**t);
        continue;
      }
      if (ev.raw_json || looks_like_error(ev.data)) {
        auto e = wire::parse_error_body(0, ev.data);
        if (!e.message.empty() || e.http_status != 0) return fail(std::move(e));
      }
      auto chunk = wire::parse<wire::generate_content_response>(ev.data);
      if (!chunk) {
        auto e = std::move(chunk).error();
        e.code = errc::malformed_response;
        e.message = "stream event: " + e.message;
        return fail(std::move(e));
      }
      hand_over(*chunk);
    }
    return std::nullopt;
  };
  for (;;) {
    buf.clear();
    auto n = co_await s.read_some(buf);
    if (!n) co_return fail(std::move(n).error());
    if (*n == 0) break;
    if (auto fed = parser.feed(buf); !fed) co_return fail(std::move(fed).error());
    if (auto e = drain()) co_return std::move(*e);
  }
  if (auto fin = parser.finish(); !fin) co_return fail(std::move(fin).error());
  if (auto e = drain()) co_return std::move(*e);
  if (!acc.finished())
    co_return fail(
        gemini::error(errc::truncated_stream, "the stream ended without a finishReason"));
  co_return acc.take();
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
