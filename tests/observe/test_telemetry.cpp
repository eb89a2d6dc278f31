// observe::telemetry in a client against the emulator: the GenAI and library metrics, the
// log line per call, alerts; the API key appears in no output.
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/budget/memory.hpp>
#include <gemini/cache/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/observe/prometheus.hpp>
#include <gemini/observe/sinks.hpp>
#include <gemini/observe/telemetry.hpp>
#include <gemini/route/router.hpp>
#include <gemini/testing/emulator.hpp>
#include <gemini/testing/manual_clock.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

#include <sstream>
#include <thread>

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using namespace std::chrono_literals;

namespace {

struct observed : policies::defaults {
  using observe = gemini::observe::telemetry;
};

constexpr const char* secret = "AIzaSyTEST-secret-key-0123456789abcdefgh";

gemini::testing::emulator_options keyed() {
  gemini::testing::emulator_options o;
  o.api_key = secret;
  return o;
}

template <class Policies = observed>
basic_config<Policies> config_on(const gemini::testing::emulator& emu) {
  basic_config<Policies> cfg;
  cfg.client.key = api_key(secret);
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  return cfg;
}

double counter(const observe::registry& reg, std::string_view name,
               std::vector<std::string> values) {
  const auto* f = reg.find(name);
  if (!f) return -1;
  double v = 0;
  f->each([&](const observe::series& s) {
    if (s.values() == values)
      v = f->kind() == observe::metric_kind::histogram ? s.total(0) : s.total(0);
  });
  return v;
}

}  // namespace

TEST_CASE("telemetry: GenAI and library metrics of calls, streams and failures",
          "[observe][emulator]") {
  gemini::testing::emulator emu(keyed());
  asio::io_context ioc;
  std::vector<std::string> lines;
  auto cfg = config_on(emu);
  cfg.observe.log = [&](std::string_view l) { lines.emplace_back(l); };
  basic_client<observed> c(ioc.get_executor(), cfg);
  cost::money charged;
  for (int i = 0; i < 3; ++i) {
    auto r = run(ioc, c.generate("Name a colour."));
    REQUIRE(r);
    charged +=
        cost::cost_of(cost::price_table::builtin(), r->usage, r->model_version, cost::today_utc())
            ->total;
  }
  auto s =
      run(ioc, c.stream("Tell me a long story about the sea.", [](const generate_response&) {}));
  REQUIRE(s);
  emu.push_fault(gemini::testing::fault_kind::http_500);
  REQUIRE_FALSE(run(ioc, c.generate("This one fails.")));

  const auto& reg = *c.observer().metrics();
  const std::string port = std::to_string(emu.port());
  CHECK(counter(reg, "gemini.client.calls", {"generate_content", "gemini-2.5-flash", "ok"}) == 4);
  CHECK(counter(reg, "gemini.client.calls", {"generate_content", "gemini-2.5-flash", "internal"}) ==
        1);
  CHECK(counter(reg, "gen_ai.client.operation.duration",
                {"generate_content", "gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash", "",
                 "127.0.0.1", port}) == 4);
  CHECK(counter(reg, "gen_ai.client.operation.duration",
                {"generate_content", "gcp.gemini", "gemini-2.5-flash", "", "internal", "127.0.0.1",
                 port}) == 1);
  CHECK(counter(reg, "gen_ai.client.token.usage",
                {"generate_content", "gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash", "output",
                 "127.0.0.1", port}) == 4);
  CHECK(counter(reg, "gen_ai.client.operation.time_to_first_chunk",
                {"generate_content", "gcp.gemini", "gemini-2.5-flash", "127.0.0.1", port}) == 1);
  CHECK(counter(reg, "gen_ai.client.operation.time_per_output_chunk",
                {"generate_content", "gcp.gemini", "gemini-2.5-flash", "127.0.0.1", port}) == 1);
  CHECK(counter(reg, "gemini.client.attempts", {"gemini-2.5-flash", "internal"}) == 1);
  // The cost counter holds what the price table says the three unary answers and the
  // stream cost (USD).
  charged +=
      cost::cost_of(cost::price_table::builtin(), s->usage, s->model_version, cost::today_utc())
          ->total;
  CHECK(counter(reg, "gemini.client.cost", {"gemini-2.5-flash", ""}) ==
        Approx(static_cast<double>(charged.pico()) / 1e12));

  // One log line per call, JSON, without the prompt's text.
  REQUIRE(lines.size() == 5);
  auto first = boost::json::parse(lines[0]).as_object();
  CHECK(first.at("event") == "gen_ai.call");
  CHECK(first.at("outcome") == "ok");
  CHECK(first.at("model") == "gemini-2.5-flash");
  CHECK(first.at("response_model") == "gemini-2.5-flash");
  CHECK_FALSE(first.at("response_id").as_string().empty());
  CHECK(first.at("attempts").to_number<double>() == 1);
  CHECK(first.at("cache") == "none");
  CHECK(first.at("prompt_tokens").to_number<double>() > 0);
  auto stream_line = boost::json::parse(lines[3]).as_object();
  CHECK(stream_line.contains("ttfc_ms"));
  auto failed = boost::json::parse(lines[4]).as_object();
  CHECK(failed.at("outcome") == "error");
  CHECK(failed.at("error_type") == "internal");
  for (auto& l : lines) {
    CHECK_THAT(l, !Catch::Contains("Name a colour") && !Catch::Contains("long story"));
  }
}

TEST_CASE("telemetry: the API key appears in no metric, log line or error", "[observe][emulator]") {
  gemini::testing::emulator emu(keyed());
  asio::io_context ioc;
  std::string all;
  auto cfg = config_on(emu);
  cfg.observe.log = [&](std::string_view l) { (all += l) += '\n'; };
  cfg.observe.log_attempts = true;
  basic_client<observed> c(ioc.get_executor(), cfg);
  REQUIRE(run(ioc, c.generate("hello")));
  auto s = run(ioc, c.stream("hello again", [](const generate_response&) {}));
  REQUIRE(s);
  emu.push_fault(gemini::testing::fault_kind::http_429_per_minute);
  auto limited = run(ioc, c.generate("limited"));
  REQUIRE_FALSE(limited);
  all += limited.error().message + '\n';
  // A wrong key: the service's answer must not echo it either.
  auto wrong = config_on(emu);
  std::string bad_key = std::string(secret) + "-WRONG";
  wrong.client.key = api_key(bad_key);
  wrong.observe.log = cfg.observe.log;
  basic_client<observed> w(ioc.get_executor(), wrong);
  auto denied = run(ioc, w.generate("hello"));
  REQUIRE_FALSE(denied);
  all += denied.error().message + '\n';
  all += observe::exposition_text(*c.observer().metrics());
  all += observe::exposition_text(*w.observer().metrics(), observe::exposition::openmetrics);
  CHECK_THAT(all, Catch::Contains("gen_ai.call"));  // something was written
  CHECK(all.find(secret) == std::string::npos);
  CHECK(all.find("secret-key") == std::string::npos);
}

TEST_CASE("telemetry: alerts for a per-day quota and an error rate", "[observe][emulator]") {
  gemini::testing::emulator emu(keyed());
  asio::io_context ioc;
  std::vector<std::string> told;
  auto cfg = config_on(emu);
  cfg.observe.on_alert = [&](const observe::alert& a) {
    told.push_back(observe::to_string(a.what));
  };
  cfg.observe.error_rate_threshold = 0.5;
  cfg.observe.error_rate_min_calls = 4;
  basic_client<observed> c(ioc.get_executor(), cfg);
  REQUIRE(run(ioc, c.generate("ok 1")));
  REQUIRE(run(ioc, c.generate("ok 2")));
  emu.push_fault(gemini::testing::fault_kind::http_429_per_day);
  REQUIRE_FALSE(run(ioc, c.generate("over quota")));
  CHECK(told == std::vector<std::string>{"quota_exhausted"});
  emu.push_fault(gemini::testing::fault_kind::http_500);
  REQUIRE_FALSE(run(ioc, c.generate("fails")));  // 2 of 4 failed: 0.5
  CHECK(told == std::vector<std::string>{"quota_exhausted", "error_rate"});
  for (int i = 0; i < 3; ++i) REQUIRE(run(ioc, c.generate("ok again")));  // 2 of 7
  CHECK(told.back() == "error_rate_ok");
}

TEST_CASE("telemetry: record_business_metric lands in the same exposition", "[observe][unit]") {
  observe::telemetry t;
  t.record_business_metric("shop.orders.summarised", 2, {{"channel", "web"}});
  t.record_business_metric("shop.orders.summarised", 1, {{"channel", "web"}});
  auto text = observe::exposition_text(*t.metrics());
  CHECK_THAT(text, Catch::Contains("shop_orders_summarised_total{channel=\"web\"} 3\n"));
}

TEST_CASE("telemetry: a caller's traceparent goes upstream and into the log line",
          "[observe][emulator]") {
  gemini::testing::emulator emu(keyed());
  asio::io_context ioc;
  std::vector<std::string> lines;
  auto cfg = config_on(emu);
  cfg.observe.log = [&](std::string_view l) { lines.emplace_back(l); };
  basic_client<observed> c(ioc.get_executor(), cfg);
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  call_options o;
  o.traceparent = tp;
  REQUIRE(run(ioc, c.generate("traced", o)));
  CHECK(emu.last_request().header("traceparent") == tp);
  REQUIRE(run(ioc, c.stream(
                       "traced stream", [](const generate_response&) {}, o)));
  CHECK(emu.last_request().header("traceparent") == tp);
  auto line = boost::json::parse(lines.at(0)).as_object();
  CHECK(line.at("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(line.at("parent_span_id") == "00f067aa0ba902b7");
  for (std::string bad : {"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "garbage"}) {
    o.traceparent = bad;
    REQUIRE(run(ioc, c.generate("badly traced", o)));
    CHECK(emu.last_request().header("traceparent").empty());
  }
}

TEST_CASE("telemetry: tenants whose names share a buffer are counted apart", "[observe][unit]") {
  observe::telemetry t;
  wire::usage_metadata u;
  u.prompt_token_count = 1000;
  u.candidates_token_count = 100;
  u.total_token_count = 1100;
  std::string tenant = "acme";  // the same bytes, rewritten: as a reused buffer would be
  observe::event e;
  e.kind = observe::event_kind::call_end;
  e.model = e.response_model = "gemini-2.5-flash";
  e.usage = &u;
  e.tenant = tenant;
  t.record(e);
  tenant[0] = 'b';
  tenant[1] = 'e';
  tenant[2] = 't';
  tenant[3] = 'a';
  t.record(e);
  CHECK(counter(*t.metrics(), "gemini.client.calls",
                {"generate_content", "gemini-2.5-flash", "ok"}) == 2);
  const auto* cost = t.metrics()->find("gemini.client.cost");
  REQUIRE(cost);
  int tenants = 0;
  cost->each([&](const observe::series& s) {
    if (s.values()[1] == "acme" || s.values()[1] == "beta") ++tenants;
  });
  CHECK(tenants == 2);
}

namespace {

struct breaker_observed : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using breaker = gemini::breaker::consecutive_failures;
  using clock = gemini::testing::manual_clock;
  using observe = gemini::observe::telemetry;
};

client_options scripted_opts() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.model = "gemini-2.5-flash";
  o.timeout = 1h;  // real time: never reached
  return o;
}

std::string answer_body(double avg_logprobs) {
  return R"({"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP","avgLogprobs":)" +
         std::to_string(avg_logprobs) +
         R"(}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3},"modelVersion":"gemini-2.5-flash"})";
}

double gauge(const observe::registry& reg, std::string_view name, std::vector<std::string> values) {
  const auto* f = reg.find(name);
  if (!f) return -1;
  double v = -1;
  f->each([&](const observe::series& s) {
    if (s.values() == values) v = s.gauge_value.load();
  });
  return v;
}

}  // namespace

TEST_CASE("telemetry: a breaker's state, its transitions and the opened/closed alerts",
          "[observe][unit]") {
  asio::io_context ioc;
  basic_config<breaker_observed> cfg;
  cfg.client = scripted_opts();
  cfg.breaker.failure_threshold = 2;
  cfg.breaker.recovery_timeout = 10s;
  std::vector<std::string> told, where;
  cfg.observe.on_alert = [&](const observe::alert& a) {
    told.push_back(observe::to_string(a.what));
    where.emplace_back(a.endpoint);
  };
  basic_client<breaker_observed> c(ioc.get_executor(), cfg);
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(
        R"({"error":{"code":503,"message":"m","status":"UNAVAILABLE"}})", 503);
  });
  CHECK_FALSE(run(ioc, c.generate("one")));
  CHECK(told.empty());
  CHECK_FALSE(run(ioc, c.generate("two")));
  CHECK(told == std::vector<std::string>{"breaker_opened"});
  auto refused = run(ioc, c.generate("three"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::circuit_open);
  CHECK(told == std::vector<std::string>{"breaker_opened", "breaker_refusing"});

  const auto& reg = *c.observer().metrics();
  const std::string ep = "127.0.0.1:1";
  CHECK(gauge(reg, "gemini.client.breaker.state", {ep, "open"}) == 1);
  CHECK(gauge(reg, "gemini.client.breaker.state", {ep, "closed"}) == 0);

  c.clock().advance(11s);  // the probe goes out and succeeds
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(answer_body(-0.2));
  });
  REQUIRE(run(ioc, c.generate("four")));
  CHECK(told == std::vector<std::string>{"breaker_opened", "breaker_refusing", "breaker_closed"});
  CHECK(where == std::vector<std::string>{ep, "", ep});
  CHECK(gauge(reg, "gemini.client.breaker.state", {ep, "closed"}) == 1);
  CHECK(gauge(reg, "gemini.client.breaker.state", {ep, "open"}) == 0);
  CHECK(gauge(reg, "gemini.client.breaker.state", {ep, "half_open"}) == 0);
  CHECK(counter(reg, "gemini.client.breaker.transitions", {ep, "closed", "open"}) == 1);
  CHECK(counter(reg, "gemini.client.breaker.transitions", {ep, "open", "half_open"}) == 1);
  CHECK(counter(reg, "gemini.client.breaker.transitions", {ep, "half_open", "closed"}) == 1);
  // The answer's avgLogprobs went into the confidence histogram (count 1, sum -0.2).
  const auto* lp = reg.find("gemini.client.response.avg_logprobs");
  REQUIRE(lp);
  double count = 0, sum = 0;
  lp->each([&](const observe::series& s) {
    count += s.total(0);
    sum += s.total(1);
  });
  CHECK(count == 1);
  CHECK(sum == Approx(-0.2));
}

TEST_CASE("telemetry: a routed endpoint's breaker is told by its name", "[observe][unit]") {
  struct routed : breaker_observed {
    using breaker = gemini::breaker::none;
    using route = gemini::route::router<gemini::route::ordered_fallback>;
  };
  asio::io_context ioc;
  basic_config<routed> cfg;
  cfg.client = scripted_opts();
  for (const char* name : {"a", "b"}) {
    route::endpoint e;
    e.name = name;
    e.base_url = std::string("http://") + name + ".example/v1beta";
    e.model = "gemini-2.5-flash";
    cfg.route.endpoints.push_back(e);
  }
  cfg.route.make_breaker = [](const route::endpoint&) {
    breaker::consecutive_failures_options o;
    o.failure_threshold = 1;
    return breaker::consecutive_failures(o);
  };
  std::vector<std::string> told;
  cfg.observe.on_alert = [&](const observe::alert& a) {
    told.push_back(std::string(observe::to_string(a.what)) + ":" + std::string(a.endpoint));
  };
  basic_client<routed> c(ioc.get_executor(), cfg);
  c.transport().set_responder([](const transport::http_request& r) {
    if (r.origin.host == "a.example")
      return transport::scripted_reply::ok(
          R"({"error":{"code":503,"message":"m","status":"UNAVAILABLE"}})", 503);
    return transport::scripted_reply::ok(answer_body(-1));
  });
  REQUIRE(run(ioc, c.generate("fails over to b")));
  // a's failure opens its breaker (told when the attempt ends), then the call fails over.
  CHECK(told == std::vector<std::string>{"breaker_opened:a", "failover:"});
  CHECK(gauge(*c.observer().metrics(), "gemini.client.breaker.state", {"a", "open"}) == 1);
  CHECK(counter(*c.observer().metrics(), "gemini.client.attempts", {"gemini-2.5-flash", "ok"}) ==
        1);
}

TEST_CASE("telemetry: unnamed endpoints are labelled #i; a reconfigured router starts closed",
          "[observe][unit]") {
  struct routed : breaker_observed {
    using breaker = gemini::breaker::none;
    using route = gemini::route::router<gemini::route::ordered_fallback>;
  };
  auto at = [](std::string host, std::string name) {
    route::endpoint e;
    e.name = std::move(name);
    e.base_url = "http://" + host + "/v1beta";
    e.model = "gemini-2.5-flash";
    return e;
  };
  asio::io_context ioc;
  basic_config<routed> cfg;
  cfg.client = scripted_opts();
  cfg.route.endpoints = {at("a.example", ""), at("b.example", "")};
  cfg.route.make_breaker = [](const route::endpoint&) {
    breaker::consecutive_failures_options o;
    o.failure_threshold = 1;
    return breaker::consecutive_failures(o);
  };
  std::vector<std::string> told;
  cfg.observe.on_alert = [&](const observe::alert& a) {
    if (a.what != observe::alert::kind::failover)
      told.push_back(std::string(observe::to_string(a.what)) + ":" + std::string(a.endpoint));
  };
  std::vector<std::string> lines;
  cfg.observe.log = [&](std::string_view l) { lines.emplace_back(l); };
  cfg.observe.log_attempts = true;
  basic_client<routed> c(ioc.get_executor(), cfg);
  c.transport().set_responder([](const transport::http_request& r) {
    if (r.origin.host == "a.example")
      return transport::scripted_reply::ok(
          R"({"error":{"code":503,"message":"m","status":"UNAVAILABLE"}})", 503);
    return transport::scripted_reply::ok(answer_body(-1));
  });
  REQUIRE(run(ioc, c.generate("fails over to b")));
  CHECK(told == std::vector<std::string>{"breaker_opened:#0"});
  const auto& reg = *c.observer().metrics();
  CHECK(gauge(reg, "gemini.client.breaker.state", {"#0", "open"}) == 1);

  // New endpoints at the same places: their breakers are new (closed), nothing is told.
  auto ro = cfg.route;
  ro.endpoints = {at("b.example", "b"), at("a.example", "a")};
  c.router().reconfigure(ro);
  REQUIRE(run(ioc, c.generate("b answers")));
  CHECK(told == std::vector<std::string>{"breaker_opened:#0"});
  // And an endpoint's breaker opening is told under its name, at its new place.
  ro.endpoints = {at("a.example", "a"), at("b.example", "b")};
  c.router().reconfigure(ro);
  REQUIRE(run(ioc, c.generate("a fails again")));
  CHECK(told == std::vector<std::string>{"breaker_opened:#0", "breaker_opened:a"});
  CHECK(gauge(reg, "gemini.client.breaker.state", {"a", "open"}) == 1);
  // The attempt lines name the endpoint (#0 first: it had no name).
  int named = 0;
  for (auto& l : lines) {
    auto line = boost::json::parse(l).as_object();
    if (line.at("event") == "gen_ai.attempt" && line.contains("endpoint_name")) ++named;
  }
  CHECK(named == 5);  // #0 then #1; b; a then b
  CHECK(boost::json::parse(lines.at(0)).as_object().at("endpoint_name") == "#0");
}

TEST_CASE("telemetry: pool connections, cache entries and bytes, cost by user",
          "[observe][emulator]") {
  struct cached : observed {
    using cache = gemini::cache::memory<>;
  };
  gemini::testing::emulator emu(keyed());
  asio::io_context ioc;
  auto cfg = config_on<cached>(emu);
  basic_client<cached> c(ioc.get_executor(), cfg);
  call_options alice;
  alice.user = "alice";
  cost::money spent;
  for (const char* q : {"first question", "second question", "third question"}) {
    auto r = run(ioc, c.generate(q, alice));
    REQUIRE(r);
    spent +=
        cost::cost_of(cost::price_table::builtin(), r->usage, r->model_version, cost::today_utc())
            ->total;
  }
  REQUIRE(run(ioc, c.generate("first question", alice)));  // a hit: no cost, no attempt
  // (a hit used no tokens: the token metrics and the cost count only the three answered)
  const auto& reg = *c.observer().metrics();
  CHECK(counter(reg, "gemini.client.pool.connections", {"opened"}) == 1);
  CHECK(counter(reg, "gemini.client.pool.connections", {"reused"}) == 2);
  CHECK(gauge(reg, "gemini.client.cache.entries", {}) == 3);
  CHECK(gauge(reg, "gemini.client.cache.size", {}) == static_cast<double>(c.cache().stats().bytes));
  CHECK(gauge(reg, "gemini.client.cache.size", {}) > 0);
  CHECK(counter(reg, "gemini.client.cost.by_user", {"gemini-2.5-flash", "alice"}) ==
        Approx(static_cast<double>(spent.pico()) / 1e12));
  CHECK(counter(reg, "gemini.client.cost", {"gemini-2.5-flash", ""}) ==
        Approx(static_cast<double>(spent.pico()) / 1e12));
  CHECK(counter(reg, "gemini.client.calls", {"generate_content", "gemini-2.5-flash", "ok"}) == 4);
  auto text = observe::exposition_text(reg);
  CHECK_THAT(text, Catch::Contains("gemini_client_cache_size_bytes "));
  CHECK_THAT(text, Catch::Contains("gemini_client_pool_connections_total{result=\"reused\"} 2"));
}

namespace {

struct hedged : observed {
  using route = gemini::route::router<gemini::route::ordered_fallback>;
};

/// A race between two emulators: the first is tried, the second is the hedge after 30 ms;
/// each answers after `first_byte`. The answering endpoint's index, and the exposition.
std::pair<int, std::string> race(std::chrono::milliseconds first_byte,
                                 std::chrono::milliseconds hedge_first_byte) {
  gemini::testing::emulator_options first_opts, hedge_opts;
  first_opts.api_key = hedge_opts.api_key = secret;
  first_opts.latency.first_byte = first_byte;
  hedge_opts.latency.first_byte = hedge_first_byte;
  gemini::testing::emulator first(first_opts), second(hedge_opts);
  asio::io_context ioc;
  auto cfg = config_on<hedged>(first);
  for (auto* emu : {&first, &second}) {
    route::endpoint e;
    e.name = emu == &first ? "first" : "second";
    e.base_url = emu->base_url() + "/v1beta";
    e.model = "gemini-2.5-flash";
    e.key = api_key(secret);
    cfg.route.endpoints.push_back(e);
  }
  cfg.route.hedge_after = 30ms;
  basic_client<hedged> c(ioc.get_executor(), cfg);
  auto r = run(ioc, c.generate("race"));  // returns when the loser is gone too
  REQUIRE(r);
  return {r->delivery.endpoint, observe::exposition_text(*c.observer().metrics())};
}

constexpr const char* hedges_started =
    R"(gemini_client_hedges_total{gen_ai_request_model="gemini-2.5-flash"} 1)";
constexpr const char* hedge_won =
    R"(gemini_client_hedge_results_total{gen_ai_request_model="gemini-2.5-flash",result="won"} 1)";
constexpr const char* hedge_lost =
    R"(gemini_client_hedge_results_total{gen_ai_request_model="gemini-2.5-flash",result="lost"} 1)";

}  // namespace

TEST_CASE("telemetry: a hedged race the hedge wins is won", "[observe][emulator]") {
  auto [answered, text] = race(2000ms, 0ms);  // the first is never waited for
  CHECK(answered == 1);
  CHECK_THAT(text, Catch::Contains(hedges_started));
  CHECK_THAT(text, Catch::Contains(hedge_won));
  CHECK_THAT(text, !Catch::Contains(R"(result="lost")"));
}

TEST_CASE("telemetry: a hedged race the first racer wins is lost", "[observe][emulator]") {
  // Slower than the hedge delay, faster than the hedge.
  auto [answered, text] = race(200ms, 5000ms);
  CHECK(answered == 0);
  CHECK_THAT(text, Catch::Contains(hedges_started));
  CHECK_THAT(text, Catch::Contains(hedge_lost));
  CHECK_THAT(text, !Catch::Contains(R"(result="won")"));
}

TEST_CASE("telemetry: a budget's soft limit is counted per call and alerted once a day",
          "[observe][emulator]") {
  struct budgeted : observed {
    using budget = gemini::budget::memory<>;
  };
  gemini::testing::emulator emu(keyed());
  asio::io_context ioc;
  auto cfg = config_on<budgeted>(emu);
  budget::limit_rule rule;
  rule.per = budget::window::day;
  rule.soft_usd = 1e-9;  // the first reservation passes it
  rule.hard_usd = 100;
  cfg.budget.limits = {rule};
  std::vector<std::string> told;
  cfg.observe.on_alert = [&](const observe::alert& a) {
    told.push_back(std::string(observe::to_string(a.what)) + ":" + std::string(a.tenant));
  };
  basic_client<budgeted> c(ioc.get_executor(), cfg);
  call_options acme;
  acme.tenant = "acme";
  for (int i = 0; i < 3; ++i) REQUIRE(run(ioc, c.generate("spend", acme)));
  CHECK(told == std::vector<std::string>{"budget_soft_limit:acme"});
  CHECK(counter(*c.observer().metrics(), "gemini.client.budget.soft_limited", {"acme"}) == 3);
}

TEST_CASE("telemetry: ostream_sink writes whole lines from several threads", "[observe][unit]") {
  std::ostringstream out;
  observe::telemetry_options o;
  o.log = observe::ostream_sink(out);
  observe::telemetry t(o);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&t] {
      observe::event e;
      e.kind = observe::event_kind::call_end;
      e.model = "gemini-2.5-flash";
      for (int i = 0; i < 50; ++i) t.record(e);
    });
  for (auto& th : threads) th.join();
  std::istringstream lines(out.str());
  int n = 0;
  for (std::string l; std::getline(lines, l); ++n) {
    auto line = boost::json::parse(l).as_object();  // throws on a torn line
    CHECK(line.at("model") == "gemini-2.5-flash");
  }
  CHECK(n == 200);
}

TEST_CASE("telemetry: calls from two origins are counted apart, numbered or not",
          "[observe][unit]") {
  observe::telemetry t;
  std::string a = "a.example", b = "b.example";
  for (std::uint64_t origin : {std::uint64_t{7}, std::uint64_t{8}, std::uint64_t{0}})
    for (const std::string* host : {&a, &b, &a}) {
      observe::event e;
      e.kind = observe::event_kind::call_end;
      e.model = "gemini-2.5-flash";
      e.server_address = *host;
      e.server_port = 443;
      e.origin = origin == 0 ? 0 : (host == &a ? origin : origin + 100);  // a number or none
      t.record(e);
    }
  for (const char* host : {"a.example", "b.example"})
    CHECK(counter(*t.metrics(), "gen_ai.client.operation.duration",
                  {"generate_content", "gcp.gemini", "gemini-2.5-flash", "", "", host, "443"}) ==
          (host[0] == 'a' ? 6 : 3));
}
