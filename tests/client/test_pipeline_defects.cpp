// The attempt pipeline's resource ownership, deadlines and server hints: one test per defect
// of issue #15, each written to fail on the client before the pipeline rebuild.
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/client.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/route/router.hpp>
#include <gemini/testing/emulator.hpp>
#include <gemini/testing/manual_clock.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

#include <memory>
#include <stdexcept>

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using gemini::test::store;
using namespace std::chrono_literals;
using gemini::testing::emulator;

namespace {

constexpr const char* ok_body =
    R"({"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP"}],)"
    R"("usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3}})";

std::string error_body(int code, const char* status, const std::string& details = "",
                       const std::string& message = "m") {
  return std::string(R"({"error":{"code":)") + std::to_string(code) + R"(,"message":")" + message +
         R"(","status":")" + status + R"(","details":[)" + details + "]}}";
}

client_options opts() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.timeout = 1h;  // real time: never reached in these tests
  return o;
}

wire::generate_content_request hello() {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("Hello"));
  return r;
}

route::endpoint host(std::string name) {
  route::endpoint e;
  e.name = name;
  e.base_url = "http://" + name + ".example/v1beta";
  e.model = "model-" + name;
  return e;
}

/// A transport whose requests wait at a gate until the test opens it.
class gated_transport {
 public:
  using slot = gemini::slot::transport;
  using stream_type = transport::scripted_stream;
  template <class Executor, class Options>
  gated_transport(const Executor& ex, const Options&)
      : gate_(std::make_unique<asio::steady_timer>(ex, asio::steady_timer::time_point::max())) {}

  asio::awaitable<result<transport::http_response>> request(transport::http_request,
                                                            transport::attempt_limits) {
    ++calls_;
    if (!open_) {
      ++held_;
      struct count {
        int& n;
        ~count() { --n; }
      } held{held_};
      if (throw_when_cancelled) {
        co_await gate_->async_wait(asio::use_awaitable);  // throws operation_aborted
      } else {
        auto [ec] = co_await gate_->async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
      }
      if (!open_) co_return gemini::error(errc::cancelled, "gate wait cancelled");
    } else {
      co_await asio::post(gate_->get_executor(), asio::use_awaitable);  // one real suspension
    }
    transport::http_response r;
    r.status = 200;
    r.body = ok_body;
    co_return r;
  }
  asio::awaitable<result<stream_type>> open(transport::http_request, transport::attempt_limits) {
    co_return gemini::error(errc::transport, "no streams here");
  }
  void open_gate() {
    open_ = true;
    gate_->cancel();
  }
  int held() const noexcept { return held_; }
  bool throw_when_cancelled = false;
  int calls() const noexcept { return calls_; }

 private:
  std::unique_ptr<asio::steady_timer> gate_;
  bool open_ = false;
  int held_ = 0, calls_ = 0;
};

template <class Breaker>
struct breaker_and_limit : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using breaker = Breaker;
  using limit = gemini::limit::token_bucket;
  using clock = gemini::testing::manual_clock;
};

}  // namespace

// Defect 1: a routed call that finds no endpoint left released nothing it had acquired.
TEST_CASE("defect 1: a routed call with no endpoint left gives its limiter grant back",
          "[pipeline][defect]") {
  struct p : policies::defaults {
    using transport = gemini::transport::scripted_transport;
    using route = gemini::route::router<gemini::route::ordered_fallback>;
    using limit = gemini::limit::token_bucket;
    using clock = gemini::testing::manual_clock;
  };
  asio::io_context ioc;
  basic_client<p> c(ioc.get_executor(), opts());
  limit::token_bucket_options lo;
  lo.max_concurrency = 2;
  lo.max_queue = 0;
  c.limiter().reconfigure(lo);
  route::router<route::ordered_fallback>::options_type ro;

  SECTION("every endpoint answers 503") {
    ro.endpoints = {host("a"), host("b")};
    c.router().reconfigure(ro);
    c.transport().set_responder([](const transport::http_request&) {
      return transport::scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503);
    });
    for (int i = 0; i < 2; ++i) {
      auto r = run(ioc, c.generate(hello()));
      REQUIRE_FALSE(r);
      CHECK(r.error().code == errc::unavailable);
    }
  }
  SECTION("no endpoints configured") {
    c.router().reconfigure(ro);
    for (int i = 0; i < 2; ++i) CHECK_FALSE(run(ioc, c.generate(hello())));
    ro.endpoints = {host("a")};
    c.router().reconfigure(ro);
  }
  CHECK(c.limiter().in_flight() == 0);
  c.transport().set_responder(
      [](const transport::http_request&) { return transport::scripted_reply::ok(ok_body); });
  auto ok = run(ioc, c.generate(hello()));
  REQUIRE(ok);  // not rate_limited
  CHECK(c.limiter().in_flight() == 0);
}

// Defect 2: the half-open probe's permit was never given back when the limiter refused.
TEMPLATE_TEST_CASE("defect 2: a half-open probe refused by the limiter does not wedge the breaker",
                   "[pipeline][defect]", breaker::consecutive_failures, breaker::sliding_window) {
  asio::io_context ioc;
  basic_client<breaker_and_limit<TestType>> c(ioc.get_executor(), opts());
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503);
  });
  for (int i = 0; i < 30 && c.circuit_breaker().current(c.clock().now()) != breaker::state::open;
       ++i)
    (void)run(ioc, c.generate(hello()));
  REQUIRE(c.circuit_breaker().current(c.clock().now()) == breaker::state::open);
  c.clock().advance(5min);  // past the open period: the next call is the probe

  limit::token_bucket_options tight;
  tight.requests_per_minute = 1;
  tight.max_queue = 0;  // a call the bucket cannot take now is refused at once
  c.limiter().reconfigure(tight);
  for (int i = 0; i < 3; ++i) {  // sliding_window admits 3 probes, consecutive_failures 1
    auto now = c.clock().now();
    REQUIRE(c.limiter().try_acquire(limit::cost{1}, now).granted);  // the bucket's one request
    c.limiter().release(limit::cost{1}, 1, now);
    auto refused = run(ioc, c.generate(hello()));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::rate_limited);
    c.clock().advance(1min);
  }

  c.limiter().reconfigure({});
  c.clock().advance(24h);
  c.transport().set_responder(
      [](const transport::http_request&) { return transport::scripted_reply::ok(ok_body); });
  for (int i = 0; i < 3; ++i) {
    auto r = run(ioc, c.generate(hello()));
    REQUIRE(r);  // not circuit_open
  }
  CHECK(c.circuit_breaker().current(c.clock().now()) == breaker::state::closed);
}

// Defect 3: a hedged call's losing racer kept running (and using the client) after the call.
TEST_CASE("defect 3: a hedged call returns only after its loser has finished",
          "[pipeline][defect][emulator]") {
  struct p : policies::defaults {
    using route = gemini::route::router<gemini::route::ordered_fallback>;
  };
  gemini::testing::emulator_options slow_opts;
  slow_opts.latency.first_byte = 2000ms;
  emulator slow(slow_opts), fast;
  asio::io_context ioc;
  auto over = [](const emulator& e, std::string name) {
    route::endpoint ep;
    ep.name = std::move(name);
    ep.base_url = e.base_url() + "/v1beta";
    ep.key = api_key("test-key");
    return ep;
  };
  client_options o;
  o.base_url = fast.base_url() + "/v1beta";
  auto c = std::make_unique<basic_client<p>>(ioc.get_executor(), o);
  route::router<route::ordered_fallback>::options_type ro;
  ro.endpoints = {over(slow, "slow"), over(fast, "fast")};
  ro.hedge_after = 30ms;
  c->router().reconfigure(ro);

  std::optional<std::size_t> loser_in_flight;
  bool ok = false;
  auto body = [](basic_client<p>* cl, std::unique_ptr<basic_client<p>>* owner,
                 std::optional<std::size_t>* in_flight, bool* ok) -> asio::awaitable<void> {
    auto req = hello();
    auto r = co_await cl->generate(std::move(req));
    *ok = r && r->delivery.endpoint == 1;
    *in_flight = cl->router().load(0).in_flight;
    owner->reset();  // the client goes away as soon as the call returned
  };
  asio::co_spawn(ioc, body(c.get(), &c, &loser_in_flight, &ok), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.run();
  CHECK(ok);
  REQUIRE(loser_in_flight);
  CHECK(*loser_in_flight == 0);
  CHECK(c == nullptr);
}

TEST_CASE("defect 3: a hedged call cancelled mid-race drains both racers before it returns",
          "[pipeline][defect][emulator]") {
  struct p : policies::defaults {
    using route = gemini::route::router<gemini::route::ordered_fallback>;
  };
  gemini::testing::emulator_options slow_opts;
  slow_opts.latency.first_byte = 2000ms;
  emulator slow_a(slow_opts), slow_b(slow_opts);
  asio::io_context ioc;
  auto over = [](const emulator& e, std::string name) {
    route::endpoint ep;
    ep.name = std::move(name);
    ep.base_url = e.base_url() + "/v1beta";
    ep.key = api_key("test-key");
    return ep;
  };
  client_options o;
  o.base_url = slow_a.base_url() + "/v1beta";
  auto c = std::make_unique<basic_client<p>>(ioc.get_executor(), o);
  route::router<route::ordered_fallback>::options_type ro;
  ro.endpoints = {over(slow_a, "a"), over(slow_b, "b")};
  ro.hedge_after = 20ms;
  c->router().reconfigure(ro);

  std::optional<result<wire::generate_content_response>> out;
  std::size_t in_flight = 99;
  auto body = [&]() -> asio::awaitable<void> {
    auto req = hello();
    out.emplace(co_await c->generate(std::move(req)));
    in_flight = c->router().load(0).in_flight + c->router().load(1).in_flight;
    c.reset();
  };
  asio::cancellation_signal cancel;
  asio::steady_timer timer(ioc, 150ms);  // after the hedge started, before either answers
  timer.async_wait(
      [&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  asio::co_spawn(ioc, body(), asio::bind_cancellation_slot(cancel.slot(), [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 }));
  ioc.run();
  REQUIRE(out);
  REQUIRE_FALSE(*out);
  CHECK(out->error().code == errc::cancelled);
  CHECK(in_flight == 0);
  CHECK(slow_b.requests() == 1);  // the hedge did start
}

// Defect 4a: an on_chunk that throws skipped the limiter's and the breaker's accounting.
TEST_CASE("defect 4: an exception from on_chunk releases what the call held",
          "[pipeline][defect]") {
  asio::io_context ioc;
  basic_client<breaker_and_limit<breaker::consecutive_failures>> c(ioc.get_executor(), opts());
  limit::token_bucket_options lo;
  lo.max_concurrency = 1;
  lo.max_queue = 0;
  c.limiter().reconfigure(lo);
  transport::scripted_reply sr;
  sr.chunks = {"data: " + std::string(ok_body) + "\n\n"};
  c.transport().push(sr);
  auto throwing = [](const wire::generate_content_response&) {
    throw std::runtime_error("the handler failed");
  };
  CHECK_THROWS_AS(run(ioc, c.stream(hello(), throwing)), std::runtime_error);
  CHECK(c.limiter().in_flight() == 0);
  c.transport().push_body(ok_body);
  CHECK(run(ioc, c.generate(hello())));  // the slot is free again
}

// Defect 4b: cancellation thrown at a co_await (here: inside the transport) skipped the
// limiter's accounting; a waiter cancelled in the limiter's queue must leave no node behind.
TEST_CASE("defect 4: cancellation thrown at a co_await releases the limiter's grant",
          "[pipeline][defect]") {
  struct p : policies::defaults {
    using transport = gated_transport;
    using limit = gemini::limit::token_bucket;
  };
  asio::io_context ioc;
  basic_client<p> c(ioc.get_executor(), opts());
  limit::token_bucket_options lo;
  lo.max_concurrency = 1;
  c.limiter().reconfigure(lo);
  c.transport().throw_when_cancelled = true;

  std::optional<result<wire::generate_content_response>> a, b;
  asio::cancellation_signal cancel_a, cancel_b;
  std::exception_ptr a_failure, b_failure;
  asio::co_spawn(
      ioc, store(c.generate(hello()), &a),
      asio::bind_cancellation_slot(cancel_a.slot(), [&](std::exception_ptr e) { a_failure = e; }));
  asio::co_spawn(
      ioc, store(c.generate(hello()), &b),
      asio::bind_cancellation_slot(cancel_b.slot(), [&](std::exception_ptr e) { b_failure = e; }));
  ioc.poll();
  REQUIRE(c.transport().held() == 1);  // a in the transport, b waiting for the limiter
  cancel_b.emit(asio::cancellation_type::terminal);  // b leaves the queue
  ioc.poll();
  REQUIRE(b);
  REQUIRE_FALSE(*b);
  CHECK(b->error().code == errc::cancelled);
  cancel_a.emit(asio::cancellation_type::terminal);  // a's transport throws
  ioc.poll();
  REQUIRE(a);
  REQUIRE_FALSE(*a);
  CHECK(a->error().code == errc::cancelled);  // a value, not an exception
  CHECK_FALSE(a_failure);
  CHECK_FALSE(b_failure);
  CHECK(c.limiter().in_flight() == 0);

  c.transport().open_gate();
  std::optional<result<wire::generate_content_response>> next;
  asio::co_spawn(ioc, store(c.generate(hello()), &next), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.restart();
  ioc.run();
  REQUIRE(next);
  CHECK(*next);  // the slot is free again
}

// Defect 5: with the attempt timeout at most the call's, the single-attempt path had no
// overall deadline: a pool-slot wait and a stream outlived client_options::timeout.
TEST_CASE("defect 5: a call waiting for a pool slot ends by client_options::timeout",
          "[pipeline][defect][emulator]") {
  gemini::testing::emulator_options eo;
  eo.latency.first_byte = 1500ms;
  emulator emu(eo);
  asio::io_context ioc;
  client_options o;
  o.key = api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  o.timeout = 300ms;
  o.attempt_timeout = 250ms;
  transport::https_options to;
  to.pool.max_connections_per_origin = 1;
  gemini::client c(ioc.get_executor(), o, to);
  std::optional<result<wire::generate_content_response>> first, second;
  bool first_done_before_second = true;
  auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  };
  call_options patient;
  patient.timeout = 10s;
  patient.attempt_timeout = 5s;
  asio::co_spawn(ioc, store(c.generate(hello(), patient), &first), rethrow);
  auto waiting = [&]() -> asio::awaitable<void> {
    second.emplace(co_await c.generate(hello()));
    first_done_before_second = first.has_value();
  };
  asio::co_spawn(ioc, waiting(), rethrow);
  ioc.run();
  REQUIRE(first);
  CHECK(*first);
  REQUIRE(second);
  REQUIRE_FALSE(*second);
  CHECK((second->error().code == errc::upstream_timeout ||
         second->error().code == errc::deadline_exceeded));
  CHECK_FALSE(first_done_before_second);  // it did not wait for the first call's connection
}

TEST_CASE("defect 5: a stream whose chunks keep coming ends at client_options::timeout",
          "[pipeline][defect][emulator]") {
  gemini::testing::emulator_options eo;
  eo.latency.per_chunk = 200ms;
  emulator emu(eo);
  asio::io_context ioc;
  client_options o;
  o.key = api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  o.timeout = 300ms;
  o.attempt_timeout = 250ms;  // each gap (200 ms) is below it
  gemini::client c(ioc.get_executor(), o);
  auto req = hello();
  req.contents.back().parts.back().text = "Write a long story about streams, in many sentences.";
  int chunks = 0;
  auto r =
      run(ioc, c.stream(std::move(req), [&](const wire::generate_content_response&) { ++chunks; }));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::deadline_exceeded);
  CHECK(chunks >= 1);
  CHECK_FALSE(r.error().partial_text.empty());
}

// Defect 6: a huge retryDelay wrapped the limiter's pause into the past.
TEST_CASE("defect 6: a 429's absurd retryDelay pauses the limiter for a bounded time",
          "[pipeline][defect]") {
  asio::io_context ioc;
  basic_client<breaker_and_limit<breaker::none>> c(ioc.get_executor(), opts());
  c.transport().push_body(
      error_body(
          429, "RESOURCE_EXHAUSTED",
          R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"315576000000s"})"),
      429);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::rate_limited);
  auto now = c.clock().now();
  auto g = c.limiter().try_acquire(limit::cost{1}, now);
  CHECK_FALSE(g.granted);  // paused, not wrapped into the past
  CHECK(g.when > now);
  CHECK(g.when <= now + 25h);  // bounded
}

// Defect 9: cancelled during a back-off, the call reported the last upstream error.
TEST_CASE("defect 9: cancellation during a back-off is errc::cancelled", "[pipeline][defect]") {
  struct slow_retry : retry::exponential {
    static retry::exponential_options slow() {
      retry::exponential_options ro;
      ro.initial = 10s;
      ro.jitter = retry::jitter::none;
      return ro;
    }
    slow_retry() : retry::exponential(slow()) {}
  };
  struct p : policies::defaults {
    using transport = gemini::transport::scripted_transport;
    using retry = slow_retry;
  };
  asio::io_context ioc;
  basic_client<p> c(ioc.get_executor(), opts());
  c.transport().push_body(error_body(503, "UNAVAILABLE"), 503);
  asio::cancellation_signal cancel;
  asio::steady_timer timer(ioc, 20ms);
  timer.async_wait(
      [&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  std::optional<result<wire::generate_content_response>> out;
  asio::co_spawn(ioc, store(c.generate(hello()), &out),
                 asio::bind_cancellation_slot(cancel.slot(), [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 }));
  ioc.run();
  REQUIRE(out);
  REQUIRE_FALSE(*out);
  CHECK(out->error().code == errc::cancelled);
  CHECK(c.transport().calls() == 1);
}

// Defect 10: Retry-After and "Please retry in Ns." were not honoured.
TEST_CASE("defect 10: Retry-After and a retry hint in the message set the back-off",
          "[pipeline][defect]") {
  struct p : policies::defaults {
    using transport = gemini::transport::scripted_transport;
    using retry = gemini::retry::exponential;
    using clock = gemini::testing::manual_clock;
  };
  asio::io_context ioc;
  basic_client<p> c(ioc.get_executor(), opts());
  auto t0 = c.clock().now();
  SECTION("Retry-After: 41") {
    auto reply = transport::scripted_reply::ok(error_body(429, "RESOURCE_EXHAUSTED"), 429);
    reply.headers.push_back({"Retry-After", "41"});
    c.transport().push(reply);
  }
  SECTION("Please retry in 41.3s.") {
    c.transport().push_body(
        error_body(429, "RESOURCE_EXHAUSTED", "", "Quota exceeded. Please retry in 41.3s."), 429);
  }
  c.transport().push_body(ok_body);
  REQUIRE(run(ioc, c.generate(hello())));
  CHECK(c.transport().calls() == 2);
  CHECK(c.clock().now() - t0 >= 41s);
}

// Found in the rebuild: an endpoint's limiter reserved the prompt estimate in choose() but
// was reconciled against prompt + max output tokens, refunding tokens never reserved.
TEST_CASE("a routed endpoint's token limit is reconciled against what choose() reserved",
          "[pipeline][route]") {
  struct p : policies::defaults {
    using transport = gemini::transport::scripted_transport;
    using route = gemini::route::router<gemini::route::ordered_fallback>;
    using clock = gemini::testing::manual_clock;
  };
  asio::io_context ioc;
  basic_client<p> c(ioc.get_executor(), opts());
  route::router<route::ordered_fallback>::options_type ro;
  auto ep = host("a");
  limit::token_bucket_options lo;
  lo.tokens_per_minute = 60;
  ep.limits = lo;
  ro.endpoints = {ep};
  c.router().reconfigure(ro);
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(
        R"({"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP"}],)"
        R"("usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":40,"totalTokenCount":50}})");
  });
  REQUIRE(run(ioc, c.generate(hello())));       // the prompt estimate (~12) fits; 50 are used
  auto second = run(ioc, c.generate(hello()));  // about 10 tokens are left: not enough
  REQUIRE_FALSE(second);
  CHECK(second.error().message.find("rate limit") != std::string::npos);
  c.clock().advance(1min);
  CHECK(run(ioc, c.generate(hello())));  // refilled
}

// Defect 11: after a terminal cancellation every later co_await of the call's coroutine
// throws (Asio's throw_if_cancelled). An async cache lookup that returns a miss although
// the call was cancelled sent the call on to its next co_await, whose exception escaped the
// pipeline: the awaiting coroutine got an exception, a completion token never its handler.
namespace {
struct lookup_ignores_cancellation {
  using slot = gemini::slot::cache;
  cache::behaviour b;
  asio::any_io_executor ex;
  int lookups = 0;
  explicit lookup_ignores_cancellation(asio::any_io_executor e) : ex(std::move(e)) {}
  const cache::behaviour& behaviour() const { return b; }
  asio::awaitable<cache::lookup_result> async_lookup(const cache::key&, cache::time_point) {
    ++lookups;
    asio::steady_timer t(ex, 1h);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled: a miss anyway
    co_return cache::lookup_result{};
  }
  asio::awaitable<void> async_store(const cache::key&, cache::response_ptr,
                                    std::chrono::milliseconds, cache::time_point) {
    co_return;
  }
};
struct slow_cache_bundle : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using cache = lookup_ignores_cancellation;
};
}  // namespace

TEST_CASE("defect 11: cancelled while an async cache lookup runs: errc::cancelled, no exception",
          "[pipeline][defect]") {
  asio::io_context ioc;
  basic_client<slow_cache_bundle> c(ioc.get_executor(), opts());
  c.transport().push_body(ok_body);
  asio::cancellation_signal cancel;

  SECTION("co_await generate()") {
    std::optional<result<wire::generate_content_response>> out;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc, store(c.generate(hello()), &out),
        asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) { failure = e; }));
    ioc.poll();
    REQUIRE(c.cache().lookups == 1);
    cancel.emit(asio::cancellation_type::terminal);
    ioc.run();
    CHECK_FALSE(failure);
    REQUIRE(out);
    REQUIRE_FALSE(*out);
    CHECK(out->error().code == errc::cancelled);
  }
  SECTION("async_generate with a bound callback") {
    std::optional<boost::system::error_code> got;
    c.async_generate(
        hello(), asio::bind_cancellation_slot(cancel.slot(),
                                              [&](boost::system::error_code ec,
                                                  wire::generate_content_response) { got = ec; }));
    ioc.poll();
    REQUIRE(c.cache().lookups == 1);
    cancel.emit(asio::cancellation_type::terminal);
    CHECK_NOTHROW(ioc.run());
    REQUIRE(got);
    CHECK(*got == errc::cancelled);
  }
  CHECK(c.transport().calls() == 0);
}
