// gemini::redis::connection against a real redis-server: commands, reply types,
// binary-safe values, pipelining, AUTH and SELECT.
#include <gemini/redis/connection.hpp>

#include "redis/redis_server.hpp"
#include "redis/redis_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace redis = gemini::redis;
using gemini::errc;
using gemini::result;
using gemini::testing::options_for;
using gemini::testing::redis_server;
using gemini::testing::redis_server_options;
using gemini::testing::rethrow;
using gemini::testing::run;
using gemini::testing::store;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

redis::reply must(result<redis::reply> r) {
  if (!r) FAIL("redis command failed: " << r.error());
  return std::move(*r);
}

}  // namespace

TEST_CASE("SET, GET, DEL and the basic reply types", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  redis::connection c(ioc.get_executor(), options_for(srv));
  CHECK(c.state() == redis::connection_state::disconnected);  // lazy
  CHECK(c.stats().connects == 0);

  CHECK(must(run(ioc, c.command({"SET", "greeting", "hello"}))).is_status("OK"));
  CHECK(c.state() == redis::connection_state::connected);
  auto got = must(run(ioc, c.command({"GET", "greeting"})));
  CHECK(got == redis::reply::make_string("hello"));
  CHECK(must(run(ioc, c.command({"GET", "missing"}))).is_nil());
  CHECK(must(run(ioc, c.command({"DEL", "greeting"}))).as_integer() == 1);
  CHECK(must(run(ioc, c.command({"DEL", "greeting"}))).as_integer() == 0);
  CHECK(must(run(ioc, c.command({"INCR", "n"}))).as_integer() == 1);
  CHECK(must(run(ioc, c.command({"INCRBY", "n", "41"}))).as_integer() == 42);

  SECTION("an error reply is a successful result; the connection stays usable") {
    auto wrong = run(ioc, c.command({"INCR", "nope-not-a-number-key", "extra"}));
    REQUIRE(wrong);
    CHECK(wrong->is_error());
    CHECK(wrong->str().starts_with("ERR"));
    auto unknown = must(run(ioc, c.command({"NOSUCHCOMMAND"})));
    CHECK(unknown.is_error());
    CHECK(must(run(ioc, c.command({"SET", "s", "text"}))).is_status("OK"));
    auto type = must(run(ioc, c.command({"INCR", "s"})));
    CHECK(type.is_error());
    CHECK(must(run(ioc, c.command({"PING"}))).is_status("PONG"));
  }
  SECTION("arrays: MGET with a missing key, nested arrays") {
    must(run(ioc, c.command({"SET", "a", "1"})));
    must(run(ioc, c.command({"SET", "b", "2"})));
    auto m = must(run(ioc, c.command({"MGET", "a", "missing", "b"})));
    REQUIRE(m.is_array());
    CHECK(m == redis::reply::make_array({redis::reply::make_string("1"), redis::reply::make_nil(),
                                         redis::reply::make_string("2")}));
    must(run(ioc, c.command({"HSET", "h", "f", "v"})));
    auto scan = must(run(ioc, c.command({"HSCAN", "h", "0"})));
    REQUIRE(scan.is_array());
    REQUIRE(scan.elements().size() == 2);
    CHECK(scan.elements()[0] == redis::reply::make_string("0"));
    CHECK(scan.elements()[1] == redis::reply::make_array({redis::reply::make_string("f"),
                                                          redis::reply::make_string("v")}));
    CHECK(must(run(ioc, c.command({"LRANGE", "empty-list", "0", "-1"}))) ==
          redis::reply::make_array({}));
  }
  CHECK(c.stats().connects == 1);
  CHECK(c.stats().failures == 0);
  CHECK(c.stats().replies == c.stats().commands_sent);
}

TEST_CASE("PX expiry: the TTL is set and the key expires", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  redis::connection c(ioc.get_executor(), options_for(srv));
  std::string key = "cache:entry", value = "v";
  CHECK(must(run(ioc, c.command({"SET", key, value, "PX", "60000"}))).is_status("OK"));
  auto ttl = must(run(ioc, c.command({"PTTL", key})));
  REQUIRE(ttl.as_integer());
  CHECK(*ttl.as_integer() > 50000);
  CHECK(*ttl.as_integer() <= 60000);
  CHECK(must(run(ioc, c.command({"PTTL", "no-such-key"}))).as_integer() == -2);
  must(run(ioc, c.command({"SET", "forever", "x"})));
  CHECK(must(run(ioc, c.command({"PTTL", "forever"}))).as_integer() == -1);

  // NX: a second SET ... NX does not overwrite (the reply is nil).
  CHECK(must(run(ioc, c.command({"SET", key, "other", "PX", "60000", "NX"}))).is_nil());
  CHECK(must(run(ioc, c.command({"GET", key}))) == redis::reply::make_string("v"));

  // A 2 ms TTL: gone after a few milliseconds (Redis expires on access).
  must(run(ioc, c.command({"SET", "short", "x", "PX", "2"})));
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    run(ioc, gemini::testing::pause_for(3ms));
    gone = must(run(ioc, c.command({"GET", "short"}))).is_nil();
  }
  CHECK(gone);
}

TEST_CASE("binary-safe keys and values: NUL bytes, CRLF, every byte, 1 MB", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  redis::connection c(ioc.get_executor(), options_for(srv));

  std::string key = "bin\0key\r\n with spaces"s;
  std::string every;
  for (int i = 0; i < 256; ++i) every.push_back(static_cast<char>(i));
  every += "\r\n$3\r\n*1\r\n";  // RESP-looking bytes inside a value
  CHECK(must(run(ioc, c.command({"SET", key, every}))).is_status("OK"));
  auto back = must(run(ioc, c.command({"GET", key})));
  REQUIRE(back.is_string());
  CHECK(back.str() == every);
  CHECK(must(run(ioc, c.command({"STRLEN", key}))).as_integer() == 266);

  std::string big(1u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) % 251);
  CHECK(must(run(ioc, c.command({"SET", "big", big}))).is_status("OK"));
  auto got = must(run(ioc, c.command({"GET", "big"})));
  REQUIRE(got.is_string());
  CHECK(got.str().size() == big.size());
  CHECK(got.str() == big);
  // Small commands still work after the large transfer.
  CHECK(must(run(ioc, c.command({"PING"}))).is_status("PONG"));
}

namespace {

asio::awaitable<void> incr(redis::connection* c, std::optional<result<redis::reply>>* out) {
  out->emplace(co_await c->command("INCR", "counter"));
}

asio::awaitable<void> set_then_get(redis::connection* c, int i,
                                   std::optional<result<redis::reply>>* out) {
  std::string key = "key:" + std::to_string(i);
  std::string value = "value-" + std::to_string(i * i);
  // The braced form in a coroutine: named first (GCC 12 cannot compile it inside co_await).
  auto op = c->command({"SET", key, value});
  auto set = co_await std::move(op);
  if (!set || !set->is_status("OK")) {
    out->emplace(std::move(set));
    co_return;
  }
  out->emplace(co_await c->command("GET", key));
}

}  // namespace

TEST_CASE("pipelining: 100 concurrent coroutines share one connection", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  redis::connection c(ioc.get_executor(), options_for(srv));

  SECTION("INCR returns a distinct value to each caller") {
    std::vector<std::optional<result<redis::reply>>> out(100);
    for (auto& o : out) asio::co_spawn(ioc, incr(&c, &o), rethrow);
    ioc.run_for(20s);
    std::set<std::int64_t> seen;
    for (auto& o : out) {
      REQUIRE(o);
      REQUIRE(*o);
      REQUIRE((*o)->as_integer());
      seen.insert(*(*o)->as_integer());
    }
    CHECK(seen.size() == 100);
    CHECK(*seen.begin() == 1);
    CHECK(*seen.rbegin() == 100);
  }
  SECTION("each GET gets its own key's value") {
    std::vector<std::optional<result<redis::reply>>> out(100);
    for (int i = 0; i < 100; ++i) asio::co_spawn(ioc, set_then_get(&c, i, &out[i]), rethrow);
    ioc.run_for(20s);
    for (int i = 0; i < 100; ++i) {
      CAPTURE(i);
      REQUIRE(out[i]);
      REQUIRE(*out[i]);
      CHECK(**out[i] == redis::reply::make_string("value-" + std::to_string(i * i)));
    }
  }
  // One connection, and an idle connection leaves no work behind: run_for returned early
  // because the io_context ran out of work.
  CHECK(ioc.stopped());
  CHECK(c.stats().connects == 1);
  CHECK(c.stats().failures == 0);
}

TEST_CASE("pipeline(): a batch written at once, replies in order", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  redis::connection c(ioc.get_executor(), options_for(srv));
  auto r = run(ioc, c.pipeline({{"MULTI"},
                                {"SET", "p", "1"},
                                {"INCR", "p"},
                                {"EXEC"},
                                {"GET", "p"},
                                {"INCR", "p", "bad-arity"},
                                {"PING"}}));
  REQUIRE(r);
  REQUIRE(r->size() == 7);
  auto& v = *r;
  CHECK(v[0].is_status("OK"));
  CHECK(v[1].is_status("QUEUED"));
  CHECK(v[2].is_status("QUEUED"));
  CHECK(v[3] ==
        redis::reply::make_array({redis::reply::make_status("OK"), redis::reply::make_integer(2)}));
  CHECK(v[4] == redis::reply::make_string("2"));
  CHECK(v[5].is_error());
  CHECK(v[6].is_status("PONG"));
  CHECK(c.stats().commands_sent == 7);
}

TEST_CASE("SELECT: databases are isolated", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  auto o0 = options_for(srv);
  auto o3 = options_for(srv);
  o3.database = 3;
  redis::connection c0(ioc.get_executor(), o0);
  redis::connection c3(ioc.get_executor(), o3);
  must(run(ioc, c0.command({"SET", "shared-name", "in-db-0"})));
  must(run(ioc, c3.command({"SET", "shared-name", "in-db-3"})));
  CHECK(must(run(ioc, c0.command({"GET", "shared-name"}))) == redis::reply::make_string("in-db-0"));
  CHECK(must(run(ioc, c3.command({"GET", "shared-name"}))) == redis::reply::make_string("in-db-3"));
  must(run(ioc, c3.command({"SET", "only-in-3", "x"})));
  CHECK(must(run(ioc, c0.command({"EXISTS", "only-in-3"}))).as_integer() == 0);
  CHECK(must(run(ioc, c3.command({"DBSIZE"}))).as_integer() == 2);
  CHECK(must(run(ioc, c0.command({"DBSIZE"}))).as_integer() == 1);

  SECTION("a database out of range is a connection error") {
    auto bad = options_for(srv);
    bad.database = 999;
    redis::connection cb(ioc.get_executor(), bad);
    auto r = run(ioc, cb.command({"PING"}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::bad_configuration);
    CHECK(r.error().message.starts_with("redis: SELECT 999"));
    CHECK(cb.state() == redis::connection_state::backoff);
  }
}

TEST_CASE("AUTH: right password, wrong password, ACL user", "[redis][server]") {
  const std::string secret = "correct-horse-battery-staple";
  redis_server_options so;
  so.password = secret;
  redis_server srv(so);
  asio::io_context ioc;

  SECTION("the right password") {
    auto o = options_for(srv);
    o.password = secret;
    o.database = 2;
    redis::connection c(ioc.get_executor(), o);
    CHECK(must(run(ioc, c.command({"PING"}))).is_status("PONG"));
    auto db = must(run(ioc, c.command({"CLIENT", "INFO"})));
    CHECK(db.str().find("db=2") != std::string::npos);
  }
  SECTION("a wrong password is unauthenticated, and never printed") {
    const std::string wrong = "Tr0ub4dor&3-wrong";
    auto o = options_for(srv);
    o.password = wrong;
    o.reconnect_backoff_initial = 5s;
    o.reconnect_backoff_max = 5s;
    redis::connection c(ioc.get_executor(), o);
    auto r = run(ioc, c.command({"PING"}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unauthenticated);
    CHECK(r.error().message.starts_with("redis: AUTH to 127.0.0.1:"));
    CHECK(r.error().message.find("WRONGPASS") != std::string::npos);
    std::ostringstream os;
    os << r.error() << ' ' << o << ' ' << c.stats();
    CHECK(os.str().find(wrong) == std::string::npos);
    CHECK(os.str().find(secret) == std::string::npos);
    CHECK(c.state() == redis::connection_state::backoff);
    CHECK(c.stats().failures == 1);
    // While backing off, the next command fails at once with the same code.
    auto again = run(ioc, c.command({"PING"}));
    REQUIRE_FALSE(again);
    CHECK(again.error().code == errc::unauthenticated);
    CHECK(again.error().message.find("reconnect back-off") != std::string::npos);
    CHECK(again.error().message.find("WRONGPASS") != std::string::npos);
    CHECK(again.error().what().find(wrong) == std::string::npos);
    CHECK(c.stats().fast_failures == 1);
  }
  SECTION("no password: commands get NOAUTH error replies") {
    redis::connection c(ioc.get_executor(), options_for(srv));
    auto r = must(run(ioc, c.command({"GET", "k"})));
    CHECK(r.is_error());
    CHECK(r.str().starts_with("NOAUTH"));
  }
  SECTION("an ACL user with username + password") {
    auto admin_o = options_for(srv);
    admin_o.password = secret;
    redis::connection admin(ioc.get_executor(), admin_o);
    CHECK(must(run(ioc, admin.command(
                            {"ACL", "SETUSER", "cache-user", "on", ">cache-pass", "~*", "+@all"})))
              .is_status("OK"));
    auto o = options_for(srv);
    o.username = "cache-user";
    o.password = "cache-pass";
    redis::connection c(ioc.get_executor(), o);
    CHECK(must(run(ioc, c.command({"ACL", "WHOAMI"}))) == redis::reply::make_string("cache-user"));

    o.password = "not-the-cache-pass";
    redis::connection bad(ioc.get_executor(), o);
    auto r = run(ioc, bad.command({"PING"}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unauthenticated);
    CHECK(r.error().what().find("not-the-cache-pass") == std::string::npos);
  }
}
