// cache::redis and cache::tiered through the client, against the emulator and a real
// redis-server started (and stopped) by each test: shared entries between two clients
// (two service instances), TTL in Redis, tenant isolation, stale-if-error, fail-open when
// Redis is down, killed mid-test or holds garbage, and L1/L2 behaviour.
#include <gemini/cache/memory.hpp>
#include <gemini/cache/redis.hpp>
#include <gemini/client.hpp>
#include <gemini/testing/emulator.hpp>

#include "redis/redis_test_util.hpp"

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using gemini::testing::emulator;
using gemini::testing::fault_kind;
using gemini::testing::redis_server;
using gemini::testing::run;

namespace {

struct redis_cached : policies::defaults {
  using cache = gemini::cache::redis;
};
using redis_client = basic_client<redis_cached>;

struct two_level : policies::defaults {
  using cache = gemini::cache::tiered<gemini::cache::memory<>, gemini::cache::redis>;
};
using tiered_client = basic_client<two_level>;

client_options emulator_options(const emulator& emu) {
  client_options o;
  o.key = api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  return o;
}

cache::redis_options on(const redis_server& srv) {
  cache::redis_options o;
  o.server.port = srv.port();
  return o;
}

wire::generate_content_request ask(std::string text) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  return r;
}

result<wire::generate_content_response> generate(asio::io_context& ioc, auto& client,
                                                 std::string text, call_options o = {}) {
  auto op = client.generate(ask(std::move(text)), std::move(o));
  return run(ioc, std::move(op));
}

/// A raw Redis command on a separate connection (what another tool would see).
result<redis::reply> raw(asio::io_context& ioc, const redis_server& srv,
                         std::vector<std::string> args) {
  redis::options ro;
  ro.port = srv.port();
  redis::connection conn(ioc.get_executor(), ro);
  std::vector<std::string_view> views(args.begin(), args.end());
  auto op = conn.command(std::span<const std::string_view>(views));
  return run(ioc, std::move(op));
}

}  // namespace

TEST_CASE("redis cache: a second service instance gets the first one's answer", "[cache][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  redis_client a(ioc.get_executor(), emulator_options(emu));
  redis_client b(ioc.get_executor(), emulator_options(emu));
  a.cache().reconfigure(on(srv));
  b.cache().reconfigure(on(srv));

  auto first = generate(ioc, a, "shared question");
  REQUIRE(first);
  CHECK(first->delivery.from == wire::source::network);
  CHECK(a.cache().stats().stores == 1);

  auto second = generate(ioc, b, "shared question");
  REQUIRE(second);
  CHECK(second->delivery.from == wire::source::cache);
  CHECK(*second == *first);
  CHECK(emu.requests() == 1);
  CHECK(b.cache().stats().hits == 1);

  // The entry is in Redis under the prefix with the policy's TTL (5 min by default).
  auto k = cache::request_key(ask("shared question"), "models/gemini-2.5-flash", "");
  auto pttl = raw(ioc, srv, {"PTTL", a.cache().redis_key(k)});
  REQUIRE(pttl);
  REQUIRE(pttl->is_integer());
  CHECK(pttl->integer() > 290000);
  CHECK(pttl->integer() <= 300000);
}

TEST_CASE("redis cache: tenants never share an entry", "[cache][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  redis_client c(ioc.get_executor(), emulator_options(emu));
  c.cache().reconfigure(on(srv));
  call_options acme, globex;
  acme.tenant = "acme";
  globex.tenant = "globex";
  REQUIRE(generate(ioc, c, "q", acme));
  CHECK(generate(ioc, c, "q", globex)->delivery.from == wire::source::network);
  CHECK(generate(ioc, c, "q", acme)->delivery.from == wire::source::cache);
  CHECK(emu.requests() == 2);
  auto keys = raw(ioc, srv, {"KEYS", "gemini:cache:v1:*"});
  REQUIRE(keys);
  CHECK(keys->elements().size() == 2);
}

TEST_CASE("redis cache: stale-if-error serves an expired entry during an outage",
          "[cache][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  redis_client c(ioc.get_executor(), emulator_options(emu));
  auto wall =
      std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  auto o = on(srv);
  o.ttl = 60s;
  o.stale_if_error = 1h;
  o.wall_clock = [wall] { return *wall; };
  c.cache().reconfigure(o);
  auto fresh = generate(ioc, c, "q");
  REQUIRE(fresh);
  *wall += 2min;  // expired for freshness, still in Redis (PX covers the stale window)
  emu.push_fault(fault_kind::http_503);
  auto stale = generate(ioc, c, "q");
  REQUIRE(stale);
  CHECK(stale->delivery.from == wire::source::stale_cache);
  CHECK(stale->text() == fresh->text());
  CHECK(c.cache().stats().stale_found == 1);
  CHECK(emu.requests() == 2);
  // The service is back: a fresh answer, stored again.
  auto again = generate(ioc, c, "q");
  CHECK(again->delivery.from == wire::source::network);
  CHECK(generate(ioc, c, "q")->delivery.from == wire::source::cache);
}

TEST_CASE("redis cache: requests succeed while Redis is down, killed or restarted",
          "[cache][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  redis_client c(ioc.get_executor(), emulator_options(emu));
  c.cache().reconfigure(on(srv));
  REQUIRE(generate(ioc, c, "one"));
  REQUIRE(generate(ioc, c, "one")->delivery.from == wire::source::cache);

  srv.kill();  // a crash: SIGKILL
  for (int i = 0; i < 5; ++i) {
    auto r = generate(ioc, c, "two");
    REQUIRE(r);  // fail-open: answered from the network
    CHECK(r->delivery.from == wire::source::network);
  }
  CHECK(c.cache().stats().errors >= 5);  // every lookup (and store) failed open, counted
  CHECK(emu.requests() == 6);

  srv.restart();  // empty: nothing persisted
  // The connection comes back after its reconnect back-off (100 ms at first).
  bool cached_again = false;
  for (int i = 0; i < 600 && !cached_again; ++i) {
    auto r = generate(ioc, c, "three");
    REQUIRE(r);
    cached_again = r->delivery.from == wire::source::cache;
    if (!cached_again) run(ioc, gemini::testing::pause_for(5ms));
  }
  CHECK(cached_again);
}

TEST_CASE("redis cache: no server at all fails open from the first call", "[cache][redis]") {
  emulator emu;
  asio::io_context ioc;
  redis_client c(ioc.get_executor(), emulator_options(emu));
  cache::redis_options o;
  o.server.port = redis_server::free_port();  // nobody listens there
  c.cache().reconfigure(o);
  for (int i = 0; i < 3; ++i) REQUIRE(generate(ioc, c, "q"));
  CHECK(emu.requests() == 3);
  CHECK(c.cache().stats().errors >= 3);
  CHECK(c.cache().stats().hits == 0);
}

TEST_CASE("redis cache: a value that is not ours is a miss", "[cache][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  redis_client c(ioc.get_executor(), emulator_options(emu));
  c.cache().reconfigure(on(srv));
  auto k = cache::request_key(ask("q"), "models/gemini-2.5-flash", "");
  for (std::string garbage : {"not ours", "gcx1 12x\n{}", "gcx1 99999999999999\n{not json"}) {
    REQUIRE(raw(ioc, srv, {"SET", c.cache().redis_key(k), garbage}));
    auto r = generate(ioc, c, "q");
    REQUIRE(r);
    CHECK(r->delivery.from == wire::source::network);  // and it overwrote the garbage
    CHECK(generate(ioc, c, "q")->delivery.from == wire::source::cache);
  }
  CHECK(c.cache().stats().decode_errors == 3);
}

TEST_CASE("tiered cache: L1 hits cost no round trip, L2 hits fill L1", "[cache][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  tiered_client a(ioc.get_executor(), emulator_options(emu));
  tiered_client b(ioc.get_executor(), emulator_options(emu));
  a.cache().l2().reconfigure(on(srv));
  b.cache().l2().reconfigure(on(srv));

  REQUIRE(generate(ioc, a, "q"));  // miss everywhere: stored in L1 and L2
  auto sent = a.cache().l2().connection().stats().commands_sent;
  CHECK(generate(ioc, a, "q")->delivery.from == wire::source::cache);
  CHECK(a.cache().l2().connection().stats().commands_sent == sent);  // L1 answered
  CHECK(a.cache().l1().stats().hits == 1);

  CHECK(generate(ioc, b, "q")->delivery.from == wire::source::cache);  // from L2
  CHECK(b.cache().l2().stats().hits == 1);
  CHECK(b.cache().l1().stats().entries == 1);  // copied into b's L1
  CHECK(generate(ioc, b, "q")->delivery.from == wire::source::cache);
  CHECK(b.cache().l2().stats().hits == 1);  // the second time from L1
  CHECK(emu.requests() == 1);
}
