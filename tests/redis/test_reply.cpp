// gemini::redis without a server: the reply value type, RESP formatting and parsing
// through hiredis, options, and the errors a connection reports before any I/O.
#include <gemini/redis/connection.hpp>
#include <gemini/redis/reply.hpp>

#include "redis/redis_test_util.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace redis = gemini::redis;
using gemini::errc;
using gemini::testing::run;
using namespace std::string_literals;

namespace {

template <class T>
std::string print(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// Feeds `resp` to a hiredis reader in chunks of `step` bytes and collects the replies.
std::vector<redis::reply> parse(const std::string& resp, std::size_t step, bool& bad) {
  redis::detail::resp_reader r;
  std::vector<redis::reply> out;
  bad = false;
  for (std::size_t i = 0; i < resp.size() && !bad; i += step) {
    std::size_t n = std::min(step, resp.size() - i);
    REQUIRE(r.feed(resp.data() + i, n));
    for (;;) {
      auto x = r.next(bad);
      if (!x) break;
      out.push_back(std::move(*x));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("reply: a value type with non-throwing accessors", "[redis][unit]") {
  redis::reply nil;
  CHECK(nil.is_nil());
  CHECK(nil.type() == redis::reply_type::nil);
  CHECK(nil.str().empty());
  CHECK(nil.integer() == 0);
  CHECK(nil.elements().empty());
  CHECK_FALSE(nil.as_string());
  CHECK_FALSE(nil.as_integer());

  auto ok = redis::reply::make_status("OK");
  CHECK(ok.is_status());
  CHECK(ok.is_status("OK"));
  CHECK_FALSE(ok.is_status("PONG"));
  CHECK_FALSE(ok.as_string());  // a status is not a bulk string

  auto s = redis::reply::make_string("a\0b"s);
  CHECK(s.is_string());
  REQUIRE(s.as_string());
  CHECK(s.as_string()->size() == 3);
  CHECK(s != redis::reply::make_status("a\0b"s));

  auto i = redis::reply::make_integer(-42);
  CHECK(i.as_integer() == -42);
  CHECK(i.str().empty());

  auto e = redis::reply::make_error("ERR nope");
  CHECK(e.is_error());
  CHECK(e.str() == "ERR nope");

  auto a = redis::reply::make_array({redis::reply::make_string("x"), redis::reply::make_nil(), i});
  CHECK(a.is_array());
  REQUIRE(a.elements().size() == 3);
  CHECK(a.elements()[1].is_nil());
  CHECK(a == redis::reply::make_array({redis::reply::make_string("x"), redis::reply{}, i}));

  std::string moved = std::move(s).str();
  CHECK(moved == "a\0b"s);

  CHECK(print(nil) == "(nil)");
  CHECK(print(ok) == "OK");
  CHECK(print(e) == "(error) ERR nope");
  CHECK(print(i) == "(integer) -42");
  CHECK(print(redis::reply::make_string("q\"\n\x01")) == R"("q\"\x0a\x01")");
  CHECK(print(a) == R"(["x", (nil), (integer) -42])");
  auto big = print(redis::reply::make_string(std::string(1000, 'z')));
  CHECK(big.find("(1000 bytes)") != std::string::npos);
  CHECK(big.size() < 300);
}

TEST_CASE("hiredis formatting: binary-safe RESP arrays", "[redis][unit]") {
  std::string out;
  std::string value = "a\0\r\nb"s;
  std::vector<std::string_view> args = {"SET", "k", value};
  REQUIRE(redis::detail::append_command(out, args));
  CHECK(out == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n"s);
  std::vector<std::string_view> empty_arg = {"GET", ""};
  REQUIRE(redis::detail::append_command(out, empty_arg));
  CHECK(out.ends_with("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"));
  std::size_t before = out.size();
  CHECK_FALSE(redis::detail::append_command(out, std::span<const std::string_view>{}));
  CHECK(out.size() == before);
}

TEST_CASE("hiredis reader: every reply type, split anywhere", "[redis][unit]") {
  const std::string resp =
      "+OK\r\n"
      "-ERR wrong\r\n"
      ":-7\r\n"
      "$5\r\nx\0y\r\n\r\n"s
      "$-1\r\n"
      "*-1\r\n"
      "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+s\r\n"
      "$0\r\n\r\n";
  for (std::size_t step : {resp.size(), std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
    CAPTURE(step);
    bool bad = false;
    auto got = parse(resp, step, bad);
    CHECK_FALSE(bad);
    REQUIRE(got.size() == 8);
    CHECK(got[0] == redis::reply::make_status("OK"));
    CHECK(got[1] == redis::reply::make_error("ERR wrong"));
    CHECK(got[2] == redis::reply::make_integer(-7));
    CHECK(got[3] == redis::reply::make_string("x\0y\r\n"s));
    CHECK(got[4].is_nil());
    CHECK(got[5].is_nil());
    CHECK(got[6] ==
          redis::reply::make_array(
              {redis::reply::make_string("a"),
               redis::reply::make_array({redis::reply::make_integer(1), redis::reply::make_nil()}),
               redis::reply::make_status("s")}));
    CHECK(got[7] == redis::reply::make_string(""));
  }
}

TEST_CASE("hiredis reader: bytes that are not RESP are a protocol error", "[redis][unit]") {
  bool bad = false;
  auto got = parse("+OK\r\n?what\r\n", 64, bad);
  CHECK(bad);
  REQUIRE(got.size() == 1);
  CHECK(got[0].is_status("OK"));
}

TEST_CASE("options: defaults, and the password is never printed", "[redis][unit]") {
  redis::options o;
  CHECK(o.host == "127.0.0.1");
  CHECK(o.port == 6379);
  CHECK(o.database == 0);
  CHECK(o.username.empty());
  CHECK(o.password.empty());
  CHECK(o.connect_timeout == std::chrono::seconds(1));
  CHECK(o.command_timeout == std::chrono::seconds(1));
  CHECK(o.reconnect_backoff_initial == std::chrono::milliseconds(100));
  CHECK(o.reconnect_backoff_max == std::chrono::seconds(5));
  CHECK(o.endpoint() == "127.0.0.1:6379");
  CHECK(print(o).find("password=<none>") != std::string::npos);

  o.username = "app";
  o.password = "hunter2-very-secret";
  auto text = print(o);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("password=<redacted>") != std::string::npos);
  CHECK(text.find("username=app") != std::string::npos);

  o.host = "::1";
  CHECK(o.endpoint() == "[::1]:6379");
}

TEST_CASE("connection: invalid options and empty commands fail without I/O", "[redis][unit]") {
  asio::io_context ioc;
  SECTION("bad options") {
    redis::options o;
    o.port = 0;
    o.password = "pw-that-must-not-leak";
    redis::connection c(ioc.get_executor(), o);
    auto r = run(ioc, c.command({"PING"}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::bad_configuration);
    CHECK(r.error().message.starts_with("redis: "));
    CHECK(r.error().what().find("pw-that-must-not-leak") == std::string::npos);
    CHECK(c.stats().connects == 0);
    CHECK(c.state() == redis::connection_state::disconnected);
  }
  SECTION("username without password, negative database, zero timeouts") {
    for (int k = 0; k < 3; ++k) {
      redis::options o;
      if (k == 0) o.username = "u";
      if (k == 1) o.database = -1;
      if (k == 2) o.command_timeout = std::chrono::milliseconds(0);
      redis::connection c(ioc.get_executor(), o);
      auto r = run(ioc, c.command({"PING"}));
      REQUIRE_FALSE(r);
      CHECK(r.error().code == errc::bad_configuration);
    }
  }
  SECTION("empty command and empty pipeline") {
    redis::connection c(ioc.get_executor(), redis::options{});
    auto r = run(ioc, c.command(std::span<const std::string_view>{}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
    auto p = run(ioc, c.pipeline({}));
    REQUIRE(p);
    CHECK(p->empty());
    auto q = run(ioc, c.pipeline({{"PING"}, {}}));
    REQUIRE_FALSE(q);
    CHECK(q.error().code == errc::invalid_argument);
    CHECK(q.error().message.find("#1") != std::string::npos);
    CHECK(c.stats().commands_sent == 0);
  }
}
