// observe::telemetry in a client against the emulator: the GenAI and library metrics, the
// log line per call, alerts; the API key appears in no output.
#include <gemini/client.hpp>
#include <gemini/observe/prometheus.hpp>
#include <gemini/observe/telemetry.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;

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

basic_config<observed> config_on(const gemini::testing::emulator& emu) {
  basic_config<observed> cfg;
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
