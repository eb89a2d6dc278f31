// config_from_json / config_from_file: a whole client_config<S> from JSON; every bad field
// reported by its path in one bad_configuration error.
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/budget/none.hpp>
#include <gemini/cache/memory.hpp>
#include <gemini/config_json.hpp>
#include <gemini/guard/none.hpp>
#include <gemini/limit/keyed.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/observe/none.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/retry/none.hpp>
#include <gemini/route/none.hpp>
#include <gemini/route/router.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;

namespace {

// https_transport's options live in transport/https.hpp, which pulls in Beast: the slot
// sets below stand in a transport that takes no options, and one whose options are
// proxy_settings (pure logic) to exercise URLs and the proxy rules.
struct plain_transport {};
struct proxy_transport {
  using options_type = gemini::transport::proxy_settings;
};

struct slots {
  using transport = plain_transport;
  using cache = gemini::cache::memory<>;
  using limit = gemini::limit::token_bucket;
  using breaker = gemini::breaker::consecutive_failures;
  using retry = gemini::retry::exponential;
  using route = gemini::route::router<gemini::route::ordered_fallback>;
  using budget = gemini::budget::none;
  using guard = gemini::guard::none;
  using observe = gemini::observe::none;
};
using config = gemini::client_config<slots>;

struct other_slots {
  using transport = proxy_transport;
  using cache = gemini::cache::memory<>;
  using limit = gemini::limit::keyed<>;
  using breaker = gemini::breaker::sliding_window;
  using retry = gemini::retry::none;
  using route = gemini::route::none;
  using budget = gemini::budget::none;
  using guard = gemini::guard::none;
  using observe = gemini::observe::none;
};
using other_config = gemini::client_config<other_slots>;

static_assert(std::is_same_v<decltype(config::transport), gemini::no_options>);
static_assert(std::is_same_v<decltype(config::budget), gemini::no_options>);
static_assert(std::is_same_v<decltype(config::limit), gemini::limit::token_bucket_options>);

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin <= s.size()) {
    auto end = s.find('\n', begin);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

/// The problems config_from_json<C> reports for `text`, one per line (fails the test when
/// the document is accepted).
template <class C = config>
std::vector<std::string> problems(std::string_view text) {
  auto r = gemini::config_from_json<C>(text);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == gemini::errc::bad_configuration);
  return lines_of(r.error().message);
}

/// The one problem reported for `text`.
template <class C = config>
std::string problem(std::string_view text) {
  auto p = problems<C>(text);
  CHECK(p.size() == 1);
  return p.empty() ? std::string() : p.front();
}

template <class C = config>
C accepted(std::string_view text) {
  auto r = gemini::config_from_json<C>(text);
  if (!r) FAIL("refused: " << r.error().message);
  return std::move(*r);
}

/// A file removed at the end of the test.
struct temp_file {
  std::string path;
  explicit temp_file(std::string_view name, std::string_view contents) {
    path = (std::filesystem::temp_directory_path() /
            ("gemini_config_test_" + std::to_string(::getpid()) + "_" + std::string(name)))
               .string();
    std::ofstream(path, std::ios::binary) << contents;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

const char* full_document = R"({
  "client": {
    "key": {"env": "GEMINI_CONFIG_TEST_KEY"},
    "base_url": "https://gateway.example/v1beta",
    "model": "gemini-2.5-pro",
    "timeout": "90s",
    "attempt_timeout": "1.5s",
    "max_request_bytes": 1048576
  },
  "cache": {
    "ttl": "5m",
    "stale_if_error": "1h",
    "coalesce": false,
    "leader_failure": "retry_alone",
    "max_bytes": 268435456,
    "shards": 4
  },
  "limit": {
    "requests_per_minute": 600,
    "tokens_per_minute": 1.5e6,
    "max_concurrency": 32,
    "burst": 0.25,
    "max_queue": 100,
    "max_wait": "2500ms"
  },
  "breaker": {"failure_threshold": 3, "recovery_timeout": "10s"},
  "retry": {
    "max_attempts": 4,
    "initial": "200ms",
    "multiplier": 3,
    "max_delay": "20s",
    "max_total_delay": "1m",
    "jitter": "decorrelated",
    "budget_ratio": 0.1,
    "budget_min_per_second": 2,
    "budget_window": "30s",
    "seed": 18446744073709551615
  },
  "route": {
    "endpoints": [
      {
        "name": "flash-eu",
        "base_url": "https://eu.example/v1beta",
        "model": "gemini-2.5-flash",
        "price": {"input": 0.3, "output": 2.5, "cached_input": 0.075},
        "caps": {"multimodal": true, "tools": false, "code": false, "context_window": 32768},
        "weight": 3,
        "limits": {"requests_per_minute": 60, "max_wait": "100ms"}
      },
      {
        "name": "backup",
        "provider": "openai",
        "base_url": "http://localhost:8080/v1",
        "model": "llama-3",
        "key": {"env": "GEMINI_CONFIG_TEST_KEY_2"}
      }
    ],
    "seed": 7,
    "latency_decay": "30s",
    "fallback_on_block": true,
    "hedge_after": "750ms",
    "hedge_at_p95": true,
    "hedge_min_samples": 50,
    "resume_streams": true
  },
  "transport": null,
  "budget": {},
  "guard": null
})";

}  // namespace

TEST_CASE("config_json: a full document, field by field", "[config][unit]") {
  ::setenv("GEMINI_CONFIG_TEST_KEY", "key-one", 1);
  ::setenv("GEMINI_CONFIG_TEST_KEY_2", "key-two", 1);
  auto cfg = accepted(full_document);

  CHECK(cfg.client.key.reveal() == "key-one");
  CHECK(cfg.client.base_url == "https://gateway.example/v1beta");
  CHECK(cfg.client.model == "gemini-2.5-pro");
  CHECK(cfg.client.timeout == 90s);
  CHECK(cfg.client.attempt_timeout == 1500ms);
  CHECK(cfg.client.max_request_bytes == 1048576);

  CHECK(cfg.cache.ttl == 5min);
  CHECK(cfg.cache.stale_if_error == 1h);
  CHECK_FALSE(cfg.cache.coalesce);
  CHECK(cfg.cache.leader_failure == gemini::cache::on_leader_failure::retry_alone);
  CHECK(cfg.cache.max_bytes == 268435456);
  CHECK(cfg.cache.shards == 4);
  CHECK_FALSE(cfg.cache.storable);  // a std::function: never from JSON

  CHECK(cfg.limit.requests_per_minute == 600);
  CHECK(cfg.limit.tokens_per_minute == 1.5e6);
  CHECK(cfg.limit.max_concurrency == 32);
  CHECK(cfg.limit.burst == 0.25);
  CHECK(cfg.limit.max_queue == 100);
  CHECK(cfg.limit.max_wait == 2500ms);

  CHECK(cfg.breaker.failure_threshold == 3);
  CHECK(cfg.breaker.recovery_timeout == 10s);

  CHECK(cfg.retry.max_attempts == 4);
  CHECK(cfg.retry.initial == 200ms);
  CHECK(cfg.retry.multiplier == 3.0);
  CHECK(cfg.retry.max_delay == 20s);
  CHECK(cfg.retry.max_total_delay == 1min);
  CHECK(cfg.retry.jitter == gemini::retry::jitter::decorrelated);
  CHECK(cfg.retry.budget_ratio == 0.1);
  CHECK(cfg.retry.budget_min_per_second == 2.0);
  CHECK(cfg.retry.budget_window == 30s);
  CHECK(cfg.retry.seed == 18446744073709551615ull);

  REQUIRE(cfg.route.endpoints.size() == 2);
  const auto& a = cfg.route.endpoints[0];
  CHECK(a.name == "flash-eu");
  CHECK(a.provider == gemini::route::provider::gemini);  // the default
  CHECK(a.base_url == "https://eu.example/v1beta");
  CHECK(a.model == "gemini-2.5-flash");
  CHECK(a.key.empty());  // not given: the client's key is used
  CHECK(a.price.input == 0.3);
  CHECK(a.price.output == 2.5);
  CHECK(a.price.cached_input == 0.075);
  CHECK(a.caps.multimodal);
  CHECK_FALSE(a.caps.tools);
  CHECK_FALSE(a.caps.code);
  CHECK(a.caps.context_window == 32768);
  CHECK(a.weight == 3.0);
  REQUIRE(a.limits.has_value());
  CHECK(a.limits->requests_per_minute == 60);
  CHECK(a.limits->tokens_per_minute == 0);  // default kept inside the optional
  CHECK(a.limits->burst == 1.0);
  CHECK(a.limits->max_wait == 100ms);
  const auto& b = cfg.route.endpoints[1];
  CHECK(b.name == "backup");
  CHECK(b.provider == gemini::route::provider::openai);
  CHECK(b.base_url == "http://localhost:8080/v1");
  CHECK(b.model == "llama-3");
  CHECK(b.key.reveal() == "key-two");
  CHECK(b.weight == 1.0);
  CHECK_FALSE(b.limits.has_value());
  CHECK(b.caps.context_window == 1'048'576);
  CHECK(cfg.route.seed == 7);
  CHECK(cfg.route.latency_decay == 30s);
  CHECK(cfg.route.fallback_on_block);
  CHECK(cfg.route.hedge_after == 750ms);
  CHECK(cfg.route.hedge_at_p95);
  CHECK(cfg.route.hedge_min_samples == 50);
  CHECK(cfg.route.resume_streams);
  CHECK_FALSE(cfg.route.make_breaker);
}

TEST_CASE("config_json: fields and sections not given keep their defaults", "[config][unit]") {
  auto env = gemini::client_options::from_environment();
  auto empty = accepted("{}");
  CHECK(empty.client.base_url == env.base_url);
  CHECK(empty.client.model == env.model);
  CHECK(empty.client.key == env.key);
  CHECK(empty.client.timeout == env.timeout);
  CHECK(empty.limit.burst == gemini::limit::token_bucket_options{}.burst);
  CHECK(empty.retry.max_attempts == gemini::retry::exponential_options{}.max_attempts);
  CHECK(empty.route.endpoints.empty());

  auto some = accepted(R"({"client": {"model": "m"}, "retry": {"max_attempts": 2},
                           "cache": {"shards": 2}})");
  CHECK(some.client.model == "m");
  CHECK(some.client.base_url == env.base_url);
  CHECK(some.client.attempt_timeout == env.attempt_timeout);
  CHECK(some.retry.max_attempts == 2);
  CHECK(some.retry.initial == gemini::retry::exponential_options{}.initial);
  CHECK(some.retry.jitter == gemini::retry::jitter::full);
  CHECK(some.cache.shards == 2);
  CHECK(some.cache.ttl == gemini::cache::memory_options{}.ttl);  // a base's member
  CHECK(some.cache.max_bytes == gemini::cache::memory_options{}.max_bytes);

  // null unsets an optional field; an endpoint starts from route::endpoint's defaults.
  auto nulls = accepted(R"({"route": {"endpoints": [{"name": "a", "limits": null}]}})");
  REQUIRE(nulls.route.endpoints.size() == 1);
  CHECK_FALSE(nulls.route.endpoints[0].limits.has_value());
  CHECK(nulls.route.endpoints[0].base_url == gemini::default_base_url);
  CHECK(nulls.route.endpoints[0].model == gemini::default_model);
}

TEST_CASE("config_json: each kind of type error names its path", "[config][unit]") {
  CHECK(problem(R"({"limit": {"requests_per_minute": "600"}})") ==
        "limit.requests_per_minute: expected a number, got string");
  CHECK(problem(R"({"route": {"endpoints": [{"name": "a"}, {"name": "b", "provider": "foo"}]}})") ==
        "route.endpoints[1].provider: unknown value \"foo\" (expected one of: gemini, openai)");
  CHECK(problem(R"({"route": {"endpoints": [{"name": "a", "provider": 1}]}})") ==
        "route.endpoints[0].provider: expected a string (one of: gemini, openai), got number");
  CHECK(problem(R"({"cache": {"max_entrie": 10}})") ==
        "cache.max_entrie: unknown field (expected one of: ttl, stale_if_error, coalesce, "
        "leader_failure, max_bytes, shards)");
  CHECK(problem(R"({"cache": {"coalesce": "yes"}})") ==
        "cache.coalesce: expected true or false, got string");
  CHECK(problem(R"({"client": {"model": 5}})") == "client.model: expected a string, got number");
  CHECK(problem(R"({"cache": 5})") == "cache: expected an object, got number");
  CHECK(problem(R"({"route": {"endpoints": {"name": "a"}}})") ==
        "route.endpoints: expected an array, got object");
  CHECK(problem(R"({"limit": {"burst": null}})") == "limit.burst: expected a number, got null");
}

TEST_CASE("config_json: integers are range-checked", "[config][unit]") {
  CHECK(problem(R"({"limit": {"max_concurrency": -1}})") ==
        "limit.max_concurrency: expected a non-negative integer, got -1");
  CHECK(problem(R"({"breaker": {"failure_threshold": 1.5}})") ==
        "breaker.failure_threshold: expected an integer, got 1.5");
  CHECK(problem(R"({"breaker": {"failure_threshold": 3000000000}})") ==
        "breaker.failure_threshold: out of range: 3000000000 (expected -2147483648 to 2147483647)");
  CHECK(problem(R"({"breaker": {"failure_threshold": "3"}})") ==
        "breaker.failure_threshold: expected an integer, got string");
  CHECK(problem(R"({"limit": {"max_queue": -2.0}})") ==
        "limit.max_queue: expected a non-negative integer, got -2");
  CHECK(problem(R"({"limit": {"max_queue": 1e30}})") ==
        "limit.max_queue: out of range: 1e+30 (expected 0 to 18446744073709551615)");
  // A whole number written as a double is an integer.
  CHECK(accepted(R"({"breaker": {"failure_threshold": 4.0}})").breaker.failure_threshold == 4);
  CHECK(accepted(R"({"route": {"seed": 18446744073709551615}})").route.seed ==
        18446744073709551615ull);
}

TEST_CASE("config_json: several errors in one document are all reported", "[config][unit]") {
  auto p = problems(R"({
    "client": {"model": "", "timeout": 30},
    "cache": {"max_entrie": 10, "ttl": "5 minutes"},
    "limit": {"burst": "all"},
    "breaker": {"failure_threshold": 0},
    "route": {"endpoints": [{"name": "ok"}, {"name": "", "provider": "foo"}]},
    "budget": {"daily": 10},
    "nonsense": true
  })");
  // In document order; each once.
  std::vector<std::string> want = {
      "client.timeout: a bare number is not a duration; add a unit, e.g. \"30s\" or \"30ms\" "
      "(units: ns, us, ms, s, m, h)",
      "client.model: must not be empty",
      "cache.max_entrie: unknown field (expected one of: ttl, stale_if_error, coalesce, "
      "leader_failure, max_bytes, shards)",
      "cache.ttl: unknown unit \" minutes\" in \"5 minutes\" (units: ns, us, ms, s, m, h)",
      "limit.burst: expected a number, got string",
      "breaker.failure_threshold: must be at least 1 (got 0)",
      "route.endpoints[1].provider: unknown value \"foo\" (expected one of: gemini, openai)",
      "route.endpoints[1].name: must not be empty",
      "budget: the budget slot's policy takes no options; remove the section",
      "nonsense: unknown section (expected one of: client, transport, cache, limit, breaker, "
      "retry, route, budget, guard, observe)",
  };
  CHECK(p == want);
}

TEST_CASE("config_json: durations need a unit", "[config][unit]") {
  auto wait = [](std::string_view d) {
    return accepted(R"({"limit": {"max_wait": ")" + std::string(d) + "\"}}").limit.max_wait;
  };
  CHECK(wait("250ms") == 250ms);
  CHECK(wait("30s") == 30s);
  CHECK(wait("1.5s") == 1500ms);
  CHECK(wait("5m") == 5min);
  CHECK(wait("1h") == 1h);
  CHECK(wait("0.25h") == 15min);
  CHECK(wait("100000us") == 100ms);
  CHECK(wait("3000000ns") == 3ms);
  CHECK(wait("0ms") == 0ms);
  CHECK(wait("007s") == 7s);
  CHECK(wait("1.500s") == 1500ms);

  auto bad = [](std::string_view d) {
    return problem(R"({"limit": {"max_wait": ")" + std::string(d) + "\"}}");
  };
  CHECK(bad("30") == "limit.max_wait: \"30\" has no unit; add one (units: ns, us, ms, s, m, h)");
  CHECK(bad("5sec") ==
        "limit.max_wait: unknown unit \"sec\" in \"5sec\" (units: ns, us, ms, s, m, h)");
  CHECK(bad("-1s") == "limit.max_wait: a duration cannot be negative, got \"-1s\"");
  CHECK(bad("1.5ms") == "limit.max_wait: \"1.5ms\" is not a whole number of milliseconds");
  CHECK(bad("100us") == "limit.max_wait: \"100us\" is not a whole number of milliseconds");
  CHECK(bad("0.5ns") == "limit.max_wait: \"0.5ns\" is finer than a nanosecond");
  CHECK(bad("abc") ==
        "limit.max_wait: \"abc\" is not a duration: write a number and a unit, e.g. \"250ms\" or "
        "\"1.5s\" (units: ns, us, ms, s, m, h)");
  CHECK(bad("1.s").find("\"1.s\" is not a duration") != std::string::npos);
  CHECK(bad(".5s").find("\".5s\" is not a duration") != std::string::npos);
  CHECK(bad("").find("\"\" is not a duration") != std::string::npos);
  CHECK(bad("99999999999h") == "limit.max_wait: \"99999999999h\" is too large");
  CHECK(problem(R"({"limit": {"max_wait": 250}})") ==
        "limit.max_wait: a bare number is not a duration; add a unit, e.g. \"250s\" or \"250ms\" "
        "(units: ns, us, ms, s, m, h)");
  CHECK(problem(R"({"limit": {"max_wait": ["1s"]}})") ==
        "limit.max_wait: expected a duration such as \"250ms\" or \"30s\", got array");
  // retry.budget_window counts whole seconds.
  CHECK(accepted(R"({"retry": {"budget_window": "2m"}})").retry.budget_window == 120s);
  CHECK(problem(R"({"retry": {"budget_window": "1500ms"}})") ==
        "retry.budget_window: \"1500ms\" is not a whole number of seconds");
}

TEST_CASE("config_json: unknown sections and no-options sections", "[config][unit]") {
  CHECK(problem(R"({"nonsense": {}})") ==
        "nonsense: unknown section (expected one of: client, transport, cache, limit, breaker, "
        "retry, route, budget, guard, observe)");
  CHECK(problem(R"({"transport": {"user_agent": "x"}})") ==
        "transport: the transport slot's policy takes no options; remove the section");
  CHECK(problem(R"({"observe": []})") ==
        "observe: the observe slot's policy takes no options; remove the section");
  CHECK(problem(R"({"guard": false})") ==
        "guard: the guard slot's policy takes no options; remove the section");
  // Absent, null and {} are all fine.
  auto c = accepted(R"({"transport": {}, "budget": null, "guard": {}})");
  CHECK(c.budget == gemini::no_options{});
  // A member holding a std::function is not configurable: its key is an unknown field.
  CHECK(problem(R"({"breaker": {"on_state_change": "log"}})") ==
        "breaker.on_state_change: unknown field (expected one of: failure_threshold, "
        "recovery_timeout)");
  CHECK(problem(R"({"route": {"make_breaker": null}})")
            .rfind("route.make_breaker: unknown field", 0) == 0);
}

TEST_CASE("config_json: API keys come from the environment or a file", "[config][unit]") {
  ::setenv("GEMINI_CONFIG_TEST_ENV_KEY", "secret-from-env", 1);
  ::unsetenv("GEMINI_CONFIG_TEST_UNSET");
  CHECK(accepted(R"({"client": {"key": {"env": "GEMINI_CONFIG_TEST_ENV_KEY"}}})")
            .client.key.reveal() == "secret-from-env");
  CHECK(problem(R"({"client": {"key": {"env": "GEMINI_CONFIG_TEST_UNSET"}}})") ==
        "client.key: the environment variable GEMINI_CONFIG_TEST_UNSET is not set (or is empty)");
  CHECK(
      problem(
          R"({"route": {"endpoints": [{"name": "a", "key": {"env": "GEMINI_CONFIG_TEST_UNSET"}}]}})") ==
      "route.endpoints[0].key: the environment variable GEMINI_CONFIG_TEST_UNSET is not set (or "
      "is empty)");

  temp_file key("key", "secret-from-file\n");
  auto from_file = accepted(R"({"client": {"key": {"file": ")" + key.path + "\"}}}");
  CHECK(from_file.client.key.reveal() == "secret-from-file");  // the newline trimmed

  temp_file two("two_lines", "first\nsecond\n");
  CHECK(problem(R"({"client": {"key": {"file": ")" + two.path + "\"}}}") ==
        "client.key: the key file \"" + two.path +
            "\" holds more than a key (spaces or control characters inside)");
  temp_file blank("blank", " \n");
  CHECK(problem(R"({"client": {"key": {"file": ")" + blank.path + "\"}}}") ==
        "client.key: the key file \"" + blank.path + "\" is empty");
  CHECK(problem(R"({"client": {"key": {"file": "/nonexistent/gemini.key"}}})") ==
        "client.key: cannot read the key file \"/nonexistent/gemini.key\": No such file or "
        "directory");

  CHECK(problem(R"({"client": {"key": "AIza-literal"}})") ==
        "client.key: write the key in the environment or a file, not in the configuration: "
        "{\"env\": \"VARIABLE\"} or {\"file\": \"/path/to/key\"}");
  CHECK(problem(R"({"client": {"key": {"env": "A", "file": "/b"}}})") ==
        "client.key: give either \"env\" or \"file\", not both");
  CHECK(problem(R"({"client": {"key": {"vault": "x"}}})") ==
        "client.key.vault: unknown field (expected one of: env, file)");
  CHECK(problem(R"({"client": {"key": {"env": 3}}})") ==
        "client.key.env: expected a string, got number");
  CHECK(problem(R"({"client": {"key": {}}})") ==
        "client.key: expected {\"env\": \"VARIABLE\"} or {\"file\": \"/path/to/key\"}, got an "
        "empty object");
}

TEST_CASE("config_json: malformed JSON is reported with its offset", "[config][unit]") {
  CHECK(problem("{\"client\": {\"model\": }}") ==
        "malformed JSON at line 1, column 22 (offset 21): syntax error");
  CHECK(problem("{\n  \"limit\": {\"burst\": 1,}\n}")
            .rfind("malformed JSON at line 2, column 24 "
                   "(offset 25): ",
                   0) == 0);
  CHECK(problem("{} []").rfind("malformed JSON at line 1, column 4 (offset 3): ", 0) == 0);
  CHECK(problem("{\"client\": {").rfind("malformed JSON at line 1, column 13 (offset 12): ", 0) ==
        0);
  CHECK(problem("").rfind("malformed JSON at line 1, column 1 (offset 0): ", 0) == 0);
  CHECK(problem("[1, 2]") ==
        "configuration: expected an object of sections (client, transport, cache, limit, breaker, "
        "retry, route, budget, guard, observe), got array");
}

TEST_CASE("config_json: a key given twice is an error", "[config][unit]") {
  CHECK(problems(R"({"limit": {"burst": 1, "burst": 2},
                     "route": {"endpoints": [{"name": "a"}, {"name": "b", "name": "c"}]},
                     "limit": {}})") ==
        std::vector<std::string>{
            "limit.burst: given more than once (each field may appear once)",
            "route.endpoints[1].name: given more than once (each field may appear once)",
            "limit: given more than once (each field may appear once)"});
}

TEST_CASE("config_json: semantic rules", "[config][unit]") {
  CHECK(problems(R"({"client": {"timeout": "0s", "attempt_timeout": "0ms", "model": "",
                                "base_url": "ftp://x"}})") ==
        std::vector<std::string>{
            "client.base_url: not a valid URL: scheme must be http:// or https://",
            "client.model: must not be empty", "client.timeout: must be greater than 0 (got 0ms)",
            "client.attempt_timeout: must be greater than 0 (got 0ms)"});
  CHECK(
      problems(R"({"limit": {"requests_per_minute": -1, "tokens_per_minute": -2, "burst": 0}})") ==
      std::vector<std::string>{"limit.requests_per_minute: must be at least 0 (got -1)",
                               "limit.tokens_per_minute: must be at least 0 (got -2)",
                               "limit.burst: must be greater than 0 (got 0)"});
  CHECK(problems(R"({"retry": {"max_attempts": 0, "multiplier": 0.5}})") ==
        std::vector<std::string>{"retry.max_attempts: must be at least 1 (got 0)",
                                 "retry.multiplier: must be at least 1 (got 0.5)"});
  CHECK(problems(R"({"route": {"endpoints": [{"name": "", "base_url": "", "model": ""}]}})") ==
        std::vector<std::string>{"route.endpoints[0].name: must not be empty",
                                 "route.endpoints[0].base_url: must not be empty",
                                 "route.endpoints[0].model: must not be empty"});
  CHECK(problem(R"({"route": {"endpoints": [{"name": "a", "limits": {"burst": -1}}]}})") ==
        "route.endpoints[0].limits.burst: must be greater than 0 (got -1)");
  CHECK(problems<other_config>(
            R"({"breaker": {"failure_rate_threshold": 1.5, "slow_call_rate_threshold": -0.1}})") ==
        std::vector<std::string>{
            "breaker.failure_rate_threshold: must be between 0 and 1 (got 1.5)",
            "breaker.slow_call_rate_threshold: must be between 0 and 1 (got -0.1)"});
  // The edges are allowed.
  auto edges = accepted<other_config>(
      R"({"breaker": {"failure_rate_threshold": 0, "slow_call_rate_threshold": 1}})");
  CHECK(edges.breaker.failure_rate_threshold == 0.0);
  CHECK(edges.breaker.slow_call_rate_threshold == 1.0);
  CHECK(accepted(R"({"limit": {"requests_per_minute": 0}, "retry": {"multiplier": 1}})")
            .retry.multiplier == 1.0);
}

TEST_CASE("config_json: keyed limits and the sliding-window breaker", "[config][unit]") {
  auto c = accepted<other_config>(R"({
    "limit": {"by": "tenant", "defaults": {"requests_per_minute": 30, "burst": 0.5},
              "max_queue": 10, "max_wait": "1s", "max_keys": 500},
    "breaker": {"kind": "time", "window_size": 60, "minimum_calls": 5,
                "failure_rate_threshold": 0.25, "slow_call_duration": "2s",
                "slow_call_rate_threshold": 0.75, "permitted_calls_in_half_open": 2,
                "wait_in_open": "45s"}
  })");
  CHECK(c.limit.by == gemini::limit::key_by::tenant);
  CHECK(c.limit.defaults.requests_per_minute == 30);
  CHECK(c.limit.defaults.burst == 0.5);
  CHECK(c.limit.max_queue == 10);
  CHECK(c.limit.max_wait == 1s);
  CHECK(c.limit.max_keys == 500);
  CHECK_FALSE(c.limit.options_for);
  CHECK(c.breaker.kind == gemini::breaker::window_kind::time);
  CHECK(c.breaker.window_size == 60);
  CHECK(c.breaker.minimum_calls == 5);
  CHECK(c.breaker.failure_rate_threshold == 0.25);
  CHECK(c.breaker.slow_call_duration == 2s);
  CHECK(c.breaker.slow_call_rate_threshold == 0.75);
  CHECK(c.breaker.permitted_calls_in_half_open == 2);
  CHECK(c.breaker.wait_in_open == 45s);

  CHECK(problems<other_config>(R"({"limit": {"by": "user", "options_for": "x",
                                             "defaults": {"burst": 0}}})") ==
        std::vector<std::string>{
            "limit.by: unknown value \"user\" (expected one of: tenant, model, tenant_and_model)",
            "limit.options_for: unknown field (expected one of: by, defaults, max_queue, "
            "max_wait, max_keys)",
            "limit.defaults.burst: must be greater than 0 (got 0)"});
  CHECK(problem<other_config>(R"({"retry": {"max_attempts": 3}})") ==
        "retry: the retry slot's policy takes no options; remove the section");
}

TEST_CASE("config_json: proxy settings: URLs and NO_PROXY entries", "[config][unit]") {
  auto c = accepted<other_config>(R"({"transport": {
    "https_proxy": "http://proxy.corp:3128", "http_proxy": null,
    "no_proxy": ["localhost", ".internal.example", "*"], "authorization": "Basic eDp5"}})");
  REQUIRE(c.transport.https_proxy.has_value());
  CHECK(c.transport.https_proxy->origin.host == "proxy.corp");
  CHECK(c.transport.https_proxy->origin.port == 3128);
  CHECK_FALSE(c.transport.https_proxy->origin.tls);
  CHECK_FALSE(c.transport.http_proxy.has_value());
  CHECK(c.transport.no_proxy == std::vector<std::string>{"localhost", ".internal.example", "*"});
  CHECK(c.transport.authorization == "Basic eDp5");

  CHECK(problems<other_config>(R"({"transport": {
    "https_proxy": "https://proxy.corp", "http_proxy": "http://user:pw@proxy.corp",
    "no_proxy": ["Example.com", "a, b", 3]}})") ==
        std::vector<std::string>{
            "transport.http_proxy: not a valid URL: user info is not allowed",
            "transport.no_proxy[2]: expected a string, got number",
            "transport.https_proxy: https:// proxies are not supported; use http:// (HTTP "
            "CONNECT)",
            "transport.no_proxy[0]: write host names in lower case, got \"Example.com\"",
            "transport.no_proxy[1]: expected one host, \".domain\" or \"*\" (no spaces or "
            "commas), got \"a, b\""});
}

TEST_CASE("config_json: config_from_file", "[config][unit]") {
  temp_file f("config.json", R"({"client": {"model": "from-file"}, "limit": {"burst": 2}})");
  auto c = gemini::config_from_file<config>(f.path);
  REQUIRE(c.has_value());
  CHECK(c->client.model == "from-file");
  CHECK(c->limit.burst == 2.0);

  temp_file bad("bad.json", R"({"limit": {"burst": "x"}})");
  auto b = gemini::config_from_file<config>(bad.path);
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().message == "limit.burst: expected a number, got string");

  auto missing = gemini::config_from_file<config>("/nonexistent/gemini.json");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == gemini::errc::bad_configuration);
  CHECK(missing.error().message ==
        "cannot read the configuration file \"/nonexistent/gemini.json\": No such file or "
        "directory");
}

TEST_CASE("config: a key file or a configuration file that never ends is refused", "[config]") {
  using cfg_t = config;
  auto r = gemini::config_from_json<cfg_t>(R"({"client": {"key": {"file": "/dev/zero"}}})");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == gemini::errc::bad_configuration);
  CHECK(r.error().message.find("client.key") != std::string::npos);
  CHECK(r.error().message.find("larger than") != std::string::npos);
  auto f = gemini::config_from_file<cfg_t>("/dev/zero");
  REQUIRE_FALSE(f);
  CHECK(f.error().message.find("larger than") != std::string::npos);
}
