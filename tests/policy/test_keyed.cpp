// limit::keyed: a limiter per tenant / model / both, with per-key options, a shared 429
// pause, bounded key count, and the client's queues split by key (no head-of-line blocking
// between tenants).
#include <gemini/client.hpp>
#include <gemini/limit/keyed.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

limit::cost call(std::string_view tenant, std::string_view model, std::int64_t tokens = 10) {
  limit::cost c;
  c.tokens = tokens;
  c.tenant = tenant;
  c.model = model;
  return c;
}

limit::token_bucket_options rpm(double n) {
  limit::token_bucket_options o;
  o.requests_per_minute = n;
  return o;
}

}  // namespace

TEST_CASE("keyed by tenant: each tenant has its own bucket", "[limit][keyed]") {
  limit::keyed<>::options_type o;
  o.by = limit::key_by::tenant;
  o.defaults = rpm(1);
  limit::keyed<> l(o);
  CHECK(l.try_acquire(call("acme", "m"), t0).granted);
  auto second = l.try_acquire(call("acme", "m"), t0);
  CHECK_FALSE(second.granted);
  CHECK(second.when == t0 + 60s + 1ns);
  CHECK(l.try_acquire(call("globex", "m"), t0).granted);          // another tenant
  CHECK_FALSE(l.try_acquire(call("acme", "other"), t0).granted);  // model does not matter
  CHECK(l.keys() == 2);
  CHECK(l.same_queue(call("acme", "a"), call("acme", "b")));
  CHECK_FALSE(l.same_queue(call("acme", "a"), call("globex", "a")));
}

TEST_CASE("keyed by model, with options per model", "[limit][keyed]") {
  limit::keyed<>::options_type o;
  o.by = limit::key_by::model;
  o.options_for = [](std::string_view, std::string_view model) {
    return rpm(model == "gemini-2.5-pro" ? 2 : 100);
  };
  limit::keyed<> l(o);
  int pro = 0, flash = 0;
  for (int i = 0; i < 10; ++i) {
    pro += l.try_acquire(call("t", "gemini-2.5-pro"), t0).granted;
    flash += l.try_acquire(call("t", "gemini-2.5-flash"), t0).granted;
  }
  CHECK(pro == 2);
  CHECK(flash == 10);
  CHECK(l.limiter_for("", "gemini-2.5-pro").options().requests_per_minute == 2);
  CHECK(l.same_queue(call("a", "m"), call("b", "m")));
}

TEST_CASE("keyed by tenant and model; tokens are reconciled per key", "[limit][keyed]") {
  limit::keyed<>::options_type o;
  o.defaults.tokens_per_minute = 1000;
  limit::keyed<> l(o);
  auto big = call("acme", "m", 800);
  REQUIRE(l.try_acquire(big, t0).granted);
  CHECK_FALSE(l.try_acquire(call("acme", "m", 800), t0).granted);
  CHECK(l.try_acquire(call("acme", "n", 800), t0).granted);  // other model, other bucket
  l.release(big, 100, t0);  // used far less than reserved: 700 tokens come back
  CHECK(l.limiter_for("acme", "m").available_tokens(t0) == Approx(900));
  CHECK(l.try_acquire(call("acme", "m", 800), t0).granted);
}

TEST_CASE("keyed: a 429 pause applies to every key", "[limit][keyed]") {
  limit::keyed<> l;
  l.pause_until(t0 + 7s);
  auto g = l.try_acquire(call("a", "m"), t0);
  CHECK_FALSE(g.granted);
  CHECK(g.when == t0 + 7s);
  CHECK_FALSE(l.try_acquire(call("b", "n"), t0 + 6s).granted);
  CHECK(l.try_acquire(call("b", "n"), t0 + 7s).granted);
}

TEST_CASE("keyed: the number of limiters is bounded, busy ones are kept", "[limit][keyed]") {
  limit::keyed<>::options_type o;
  o.by = limit::key_by::tenant;
  o.max_keys = 2;
  o.defaults.max_concurrency = 1;
  limit::keyed<> l(o);
  auto a = call("a", "m");
  REQUIRE(l.try_acquire(a, t0).granted);  // a stays in flight
  REQUIRE(l.try_acquire(call("b", "m"), t0 + 1s).granted);
  l.release(call("b", "m"), 10, t0 + 1s);
  REQUIRE(l.try_acquire(call("c", "m"), t0 + 2s).granted);  // drops idle b, keeps busy a
  CHECK(l.keys() == 2);
  CHECK_FALSE(l.try_acquire(a, t0 + 3s).granted);  // a's state survived: still 1 in flight
}

TEST_CASE("client: a tenant at its limit does not hold up another tenant",
          "[limit][keyed][pipeline]") {
  struct keyed_policies : policies::defaults {
    using transport = gemini::transport::scripted_transport;
    using limit = gemini::limit::keyed<>;
  };
  asio::io_context ioc;
  client_options co;
  co.key = api_key("k");
  co.base_url = "http://127.0.0.1:1/v1beta";
  basic_client<keyed_policies> c(ioc.get_executor(), co);
  limit::keyed<>::options_type lo;
  lo.by = limit::key_by::tenant;
  lo.defaults = rpm(1);
  lo.max_wait = 50ms;  // real time: acme's second call gives up after this
  c.limiter().reconfigure(lo);
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(
        R"({"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP"}]})");
  });
  std::vector<std::string> finished;
  std::vector<std::optional<boost::system::error_code>> outcome(3);
  auto launch = [&](int i, std::string tenant) {
    asio::co_spawn(
        ioc,
        [&, i, tenant]() -> asio::awaitable<void> {
          wire::generate_content_request req;
          req.contents.push_back(wire::content::user("hi"));
          call_options o;
          o.tenant = tenant;
          auto r = co_await c.generate(std::move(req), std::move(o));
          outcome[i] = r ? boost::system::error_code{} : r.error().code;
          finished.push_back(tenant + std::to_string(i));
        },
        asio::detached);
  };
  launch(0, "acme");    // granted
  launch(1, "acme");    // waits for acme's bucket, then gives up
  launch(2, "globex");  // must not queue behind acme's waiter
  ioc.run();
  REQUIRE((outcome[0] && outcome[1] && outcome[2]));
  CHECK_FALSE(*outcome[0]);
  CHECK(*outcome[1] == errc::rate_limited);
  CHECK_FALSE(*outcome[2]);
  REQUIRE(finished.size() == 3);
  CHECK(finished[1] == "globex2");  // done while acme1 was still waiting
  CHECK(finished[2] == "acme1");
  CHECK(c.transport().calls() == 2);
}
