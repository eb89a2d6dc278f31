// gemini-cxx — a scripted in-process transport for unit tests of everything above the
// transport: no sockets, deterministic. Replies are taken in FIFO order, or produced by
// a responder function; every request is recorded.
#pragma once

#include <gemini/detail/built_by.hpp>
#include <gemini/error.hpp>
#include <gemini/slots.hpp>
#include <gemini/transport/http.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace transport {

/// What the scripted server answers to one request.
struct scripted_reply {
  std::optional<gemini::error> fail;  ///< a transport-level failure instead of a response
  int status = 200;
  std::vector<header> headers;
  std::vector<std::string> chunks;          ///< body pieces (a unary body is their concatenation)
  std::optional<gemini::error> fail_after;  ///< a stream failure after the chunks

  static scripted_reply ok(std::string body, int status = 200) {
    scripted_reply r;
    r.status = status;
    r.chunks.push_back(std::move(body));
    return r;
  }
  static scripted_reply failure(gemini::error e) {
    scripted_reply r;
    r.fail = std::move(e);
    return r;
  }
};

/// The body of a scripted streaming reply, delivered one chunk per read_some.
class scripted_stream {
 public:
  scripted_stream() = default;
  explicit scripted_stream(scripted_reply r) : r_(std::move(r)) {}
  int status() const noexcept { return r_.status; }
  const std::vector<header>& headers() const noexcept { return r_.headers; }
  boost::asio::awaitable<result<std::size_t>> read_some(std::string& out) {
    if (next_ < r_.chunks.size()) {
      const auto& c = r_.chunks[next_++];
      out += c;
      co_return c.size();
    }
    if (r_.fail_after) co_return *r_.fail_after;
    co_return std::size_t{0};
  }

 private:
  scripted_reply r_;
  std::size_t next_ = 0;
};

class scripted_transport {
 public:
  using slot = gemini::slot::transport;
  using stream_type = scripted_stream;
  using responder = std::function<scripted_reply(const http_request&)>;

  scripted_transport() = default;
  /// Same shape as https_transport's constructor so clients can build either.
  template <class Executor, class Options>
  scripted_transport(const Executor&, const Options&) {}

  void push(scripted_reply r) { queue_.push_back(std::move(r)); }
  void push_body(std::string body, int status = 200) {
    push(scripted_reply::ok(std::move(body), status));
  }
  void set_responder(responder f) { responder_ = std::move(f); }

  const std::vector<http_request>& requests() const noexcept { return requests_; }
  std::size_t calls() const noexcept { return requests_.size(); }

  boost::asio::awaitable<result<http_response>> request(http_request req, attempt_limits lim) {
    return request_then(std::move(req), lim, keep_response{});
  }

  /// request(), then `finish(outcome)` (see https_transport::request_then).
  template <class Finish>
  boost::asio::awaitable<std::invoke_result_t<Finish&, result<http_response>>> request_then(
      http_request req, attempt_limits, Finish finish) {
    co_return gemini::detail::built_by{[&] { return finish(reply(std::move(req))); }};
  }

  boost::asio::awaitable<result<scripted_stream>> open(http_request req, attempt_limits) {
    auto r = next(std::move(req));
    if (r.fail) co_return *r.fail;
    co_return scripted_stream(std::move(r));
  }

 private:
  result<http_response> reply(http_request req) {
    auto r = next(std::move(req));
    if (r.fail) return *r.fail;
    if (r.fail_after) return *r.fail_after;
    http_response resp;
    resp.status = r.status;
    resp.headers = std::move(r.headers);
    for (auto& c : r.chunks) resp.body += c;
    return resp;
  }

  scripted_reply next(http_request req) {
    requests_.push_back(std::move(req));
    if (!queue_.empty()) {
      auto r = std::move(queue_.front());
      queue_.pop_front();
      return r;
    }
    if (responder_) return responder_(requests_.back());
    return scripted_reply::failure(
        gemini::error(errc::transport, "scripted_transport: no reply scripted for this request"));
  }

  std::deque<scripted_reply> queue_;
  responder responder_;
  std::vector<http_request> requests_;
};

}  // namespace transport
}  // namespace v1
}  // namespace gemini
