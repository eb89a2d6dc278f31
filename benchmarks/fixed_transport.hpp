// Shared by the benchmarks that measure the client without sockets: a transport that
// answers every request at once with the same small generateContent body, and the loop
// driver that runs one batch of calls per benchmark iteration.
#pragma once

#include <gemini/detail/built_by.hpp>
#include <gemini/error.hpp>
#include <gemini/slots.hpp>
#include <gemini/transport/http.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include <exception>
#include <string>
#include <type_traits>

namespace gemini::bench {

inline constexpr const char* ok_body =
    R"({"candidates":[{"content":{"parts":[{"text":"A short answer from the model."}],)"
    R"("role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9,)"
    R"("candidatesTokenCount":7,"totalTokenCount":16},"modelVersion":"gemini-2.5-flash"})";

/// Answers every request with `ok_body`; keeps nothing.
struct fixed_transport {
  using slot = gemini::slot::transport;
  struct stream_type {
    int status() const noexcept { return 200; }
    boost::asio::awaitable<result<std::size_t>> read_some(std::string&) {
      co_return std::size_t{0};
    }
  };
  fixed_transport() = default;
  template <class Executor, class Options>
  fixed_transport(const Executor&, const Options&) {}
  boost::asio::awaitable<result<transport::http_response>> request(transport::http_request req,
                                                                   transport::attempt_limits) {
    co_return answer(req);
  }
  /// The transport slot's optional request_then (as https_transport has it).
  template <class Finish>
  boost::asio::awaitable<std::invoke_result_t<Finish&, result<transport::http_response>>>
  request_then(transport::http_request req, transport::attempt_limits, Finish finish) {
    co_return gemini::detail::built_by{[&] { return finish(answer(req)); }};
  }
  static result<transport::http_response> answer(const transport::http_request& req) {
    benchmark::DoNotOptimize(req.body.data());
    transport::http_response r;
    r.status = 200;
    r.body = ok_body;
    return r;
  }
  boost::asio::awaitable<result<stream_type>> open(transport::http_request,
                                                   transport::attempt_limits) {
    co_return stream_type{};
  }
};

/// `calls` generate() calls, each from a fresh copy of `*req` handed over (as real callers
/// build a request per call); failures are counted.
template <class Client, class Request>
boost::asio::awaitable<void> client_loop(Client* c, const Request* req, std::size_t* failures,
                                         int calls) {
  for (int i = 0; i < calls; ++i) {
    auto fresh = *req;
    auto r = co_await c->generate(std::move(fresh));
    if (!r) ++*failures;
    benchmark::DoNotOptimize(r);
  }
}

/// Runs the coroutine `make_loop()` returns to completion once per benchmark iteration;
/// each run makes `calls` calls.
void drive(benchmark::State& state, boost::asio::io_context& ioc, auto make_loop, int calls) {
  for (auto _ : state) {
    boost::asio::co_spawn(ioc, make_loop(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    ioc.restart();
    ioc.run();
  }
  state.SetItemsProcessed(state.iterations() * calls);
}

}  // namespace gemini::bench
