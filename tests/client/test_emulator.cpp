// The real client (Beast transport) against the emulator over loopback.
#include <gemini/client.hpp>
#include <gemini/sync_client.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using gemini::test::store;
using gemini::testing::emulator;
using gemini::testing::emulator_options;
using gemini::testing::fault;
using gemini::testing::fault_kind;

namespace {

client_options options_for(const emulator& emu, std::string key = "test-key") {
  client_options o;
  o.key = api_key(std::move(key));
  o.base_url = emu.base_url() + "/v1beta";
  o.model = "gemini-2.5-flash";
  o.timeout = std::chrono::seconds(20);
  o.attempt_timeout = std::chrono::seconds(10);
  return o;
}

/// Runs `call` on `ioc` with a cancellation slot that a timer fires after `after`.
std::optional<result<wire::generate_content_response>> cancelled_after(
    asio::io_context& ioc, asio::awaitable<result<wire::generate_content_response>> call,
    std::chrono::milliseconds after) {
  asio::cancellation_signal cancel;
  asio::steady_timer timer(ioc, after);
  timer.async_wait(
      [&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  std::optional<result<wire::generate_content_response>> out;
  asio::co_spawn(ioc, store(std::move(call), &out),
                 asio::bind_cancellation_slot(cancel.slot(), [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 }));
  ioc.restart();
  ioc.run();
  return out;
}

wire::generate_content_request ask(std::string text) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  return r;
}

}  // namespace

TEST_CASE("every endpoint works against the emulator", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(emu));

  auto g = run(ioc, c.generate(ask("Tell me about pools")));
  REQUIRE(g);
  CHECK_FALSE(g->text().empty());
  CHECK(g->usage.prompt_token_count > 0);
  CHECK(g->usage.total_token_count >= g->usage.prompt_token_count);

  auto g2 = run(ioc, c.generate(ask("Tell me about pools")));
  REQUIRE(g2);
  CHECK(g2->text() == g->text());  // deterministic emulator

  std::string streamed;
  int chunks = 0;
  auto s =
      run(ioc, c.stream(ask("Tell me about pools"), [&](const wire::generate_content_response& ch) {
        streamed += ch.text();
        ++chunks;
      }));
  REQUIRE(s);
  CHECK(chunks >= 2);
  CHECK(streamed == s->text());
  CHECK(s->usage.total_token_count > 0);

  wire::count_tokens_request ct;
  ct.contents.push_back(wire::content::user("count these tokens please"));
  auto n = run(ioc, c.count_tokens(ct));
  REQUIRE(n);
  CHECK(n->total_tokens > 0);

  wire::embed_content_request er;
  er.content = wire::content::user("embed me");
  call_options eo;
  eo.model = "gemini-embedding-001";
  auto e = run(ioc, c.embed(er, eo));
  REQUIRE(e);
  CHECK_FALSE(e->embedding.values.empty());

  wire::batch_embed_contents_request br;
  br.requests.push_back(er);
  br.requests.push_back(er);
  auto b = run(ioc, c.batch_embed(br, eo));
  REQUIRE(b);
  CHECK(b->embeddings.size() == 2);

  auto models = run(ioc, c.list_models());
  REQUIRE(models);
  CHECK_FALSE(models->models.empty());
  auto m = run(ioc, c.get_model("gemini-2.5-flash"));
  REQUIRE(m);
  CHECK(m->name == "models/gemini-2.5-flash");
  auto missing = run(ioc, c.get_model("no-such-model"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);

  // All of that went over a single kept-alive connection.
  CHECK(emu.connections() == 1);
  CHECK(c.transport().stats().connections_opened == 1);
}

TEST_CASE("a wrong API key is unauthenticated", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(emu, "wrong-key"));
  auto r = run(ioc, c.generate(ask("hi")));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unauthenticated);
  CHECK(r.error().what().find("wrong-key") == std::string::npos);
}

TEST_CASE("every emulator fault surfaces as the right error", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  auto opts = options_for(emu);
  opts.attempt_timeout = std::chrono::milliseconds(300);
  client c(ioc.get_executor(), opts);
  struct expectation {
    fault_kind kind;
    errc code;
  };
  for (auto [kind, code] : {expectation{fault_kind::http_429_per_minute, errc::rate_limited},
                            expectation{fault_kind::http_429_per_day, errc::quota_exhausted},
                            expectation{fault_kind::http_400, errc::invalid_argument},
                            expectation{fault_kind::http_403, errc::permission_denied},
                            expectation{fault_kind::http_404, errc::not_found},
                            expectation{fault_kind::http_500, errc::internal},
                            expectation{fault_kind::http_503, errc::unavailable},
                            expectation{fault_kind::http_504, errc::upstream_timeout},
                            expectation{fault_kind::reset_before_response, errc::transport},
                            expectation{fault_kind::cut_mid_stream, errc::transport},
                            expectation{fault_kind::stall_first_byte, errc::upstream_timeout},
                            expectation{fault_kind::malformed_json, errc::malformed_response}}) {
    INFO("fault " << to_string(kind));
    emu.push_fault(kind);
    // A reset on a reused keep-alive connection before any response byte looks exactly
    // like a server closing an idle connection: the transport re-sends once on a fresh
    // connection. A second reset must surface.
    if (kind == fault_kind::reset_before_response) emu.push_fault(kind);
    auto r = run(ioc, c.generate(ask("fault please")));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    if (kind == fault_kind::http_429_per_minute) {
      CHECK(r.error().retry_delay.has_value());
      CHECK_FALSE(r.error().quota.empty());
    }
  }
  SECTION("one reset on a reused connection is re-sent transparently") {
    REQUIRE(run(ioc, c.generate(ask("warm the pool"))));
    auto before = c.transport().stats().transparent_resends;
    emu.push_fault(fault_kind::reset_before_response);
    REQUIRE(run(ioc, c.generate(ask("reset once"))));
    CHECK(c.transport().stats().transparent_resends == before + 1);
  }
  SECTION("safety and MAX_TOKENS are successful responses with the reason") {
    emu.push_fault(fault_kind::safety_block_prompt);
    auto blocked = run(ioc, c.generate(ask("x")));
    REQUIRE(blocked);
    CHECK(blocked->blocked());
    emu.push_fault(fault_kind::safety_finish);
    auto safety = run(ioc, c.generate(ask("x")));
    REQUIRE(safety);
    CHECK(safety->finish() == wire::finish_reason::safety);
    emu.push_fault(fault_kind::max_tokens);
    auto max = run(ioc, c.generate(ask("x")));
    REQUIRE(max);
    CHECK(max->finish() == wire::finish_reason::max_tokens);
  }
}

TEST_CASE("a stream cut mid-way keeps the partial text", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(emu));
  emu.push_fault(fault_kind::cut_mid_stream);
  std::string seen;
  auto r =
      run(ioc, c.stream(ask("a long story please"),
                        [&](const wire::generate_content_response& ch) { seen += ch.text(); }));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::truncated_stream);
  CHECK_FALSE(seen.empty());
  CHECK(r.error().partial_text == seen);
}

TEST_CASE("connections closed by the server while idle are detected", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(emu));
  REQUIRE(run(ioc, c.generate(ask("one"))));
  CHECK(c.transport().idle_connections() == 1);
  emu.close_idle_connections();
  auto r = run(ioc, c.generate(ask("two")));
  REQUIRE(r);
  CHECK(emu.connections() == 2);
  auto const& st = c.transport().stats();
  // Either noticed before use, or re-sent once transparently after a failed write/read.
  CHECK(st.stale_connections_dropped + st.transparent_resends == 1);
}

TEST_CASE("a finished call leaves no work in the io_context", "[client][emulator]") {
  // The deadline timer of the calls in flight must not outlive them: a pending wait would
  // keep io_context::run() from returning until the (10 s) attempt timeout.
  emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(emu));
  for (int i = 0; i < 2; ++i) {  // a new connection, then a pooled one
    std::optional<result<wire::generate_content_response>> out;
    asio::co_spawn(ioc, store(c.generate(ask("x")), &out), asio::detached);
    ioc.restart();
    while (!out) ioc.run_one();
    REQUIRE(*out);
    ioc.poll();  // what is ready runs (a cancelled timer's handler); nothing may wait
    CHECK(ioc.stopped());
  }
}

TEST_CASE("cancellation and deadlines end calls that hang", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  auto opts = options_for(emu);
  client c(ioc.get_executor(), opts);
  // The error of a call the emulator never answers, ended by `o`'s time limits.
  auto stalled = [&](const call_options& o) {
    emu.push_fault(fault_kind::stall_first_byte);
    auto r = run(ioc, c.generate(ask("stall"), o));
    REQUIRE_FALSE(r);
    return r.error().code;
  };
  SECTION("deadline") {
    call_options o;
    o.timeout = std::chrono::milliseconds(200);
    CHECK(stalled(o) == errc::deadline_exceeded);
  }
  SECTION("calls in flight together each end at their own deadline") {
    // The transport's one watchdog timer waits for the earliest deadline: a later call
    // with a shorter deadline must re-arm it earlier, and the longer call must still end
    // after the shorter one fired. Then the client still works.
    emu.push_fault(fault_kind::stall_first_byte);
    emu.push_fault(fault_kind::stall_first_byte);
    call_options slow, fast;
    slow.timeout = std::chrono::seconds(2);
    fast.timeout = std::chrono::milliseconds(100);
    std::vector<std::string> ended;
    std::optional<result<wire::generate_content_response>> a, b;
    auto call =
        [&](const char* name, const call_options& o,
            std::optional<result<wire::generate_content_response>>* out) -> asio::awaitable<void> {
      auto req = ask(name);  // named: no temporary in a co_await (docs/decisions/0004)
      *out = co_await c.generate(req, o);
      ended.push_back(name);
    };
    asio::co_spawn(ioc, call("slow", slow, &a), asio::detached);
    asio::co_spawn(ioc, call("fast", fast, &b), asio::detached);
    ioc.restart();
    ioc.run();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(ended == std::vector<std::string>{"fast", "slow"});
    REQUIRE_FALSE(*a);
    CHECK(a->error().code == errc::deadline_exceeded);
    REQUIRE_FALSE(*b);
    CHECK(b->error().code == errc::deadline_exceeded);
    CHECK(run(ioc, c.generate(ask("after"))));
  }
  SECTION("a call right after another ends at its deadline, earlier or later than the first's") {
    // Between calls that follow each other at once the watchdog's timer stays armed for the
    // first call's deadline: the second re-arms it only for an earlier deadline of its own,
    // and when it fires first it must wait again for the second's.
    call_options quick, earlier, later;
    quick.attempt_timeout = std::chrono::milliseconds(150);
    earlier.timeout = std::chrono::milliseconds(50);
    later.timeout = std::chrono::milliseconds(400);
    auto two_calls = [&](call_options second) -> asio::awaitable<boost::system::error_code> {
      auto first = ask("answered");  // named: no temporary in a co_await (decisions/0004)
      auto r1 = co_await c.generate(first, quick);
      if (!r1) co_return r1.error().code;
      emu.push_fault(fault_kind::stall_first_byte);
      auto stall = ask("stall");
      auto r2 = co_await c.generate(stall, second);
      co_return r2 ? boost::system::error_code() : r2.error().code;
    };
    CHECK(run(ioc, two_calls(earlier)) == errc::deadline_exceeded);
    CHECK(run(ioc, two_calls(later)) == errc::deadline_exceeded);
    CHECK(run(ioc, c.generate(ask("after"))));
  }
  SECTION("an attempt timeout is an upstream timeout, not the caller's deadline") {
    call_options o;
    o.attempt_timeout = std::chrono::milliseconds(100);
    CHECK(stalled(o) == errc::upstream_timeout);
  }
  SECTION("cancellation slot") {
    emu.push_fault(fault_kind::stall_first_byte);
    auto out = cancelled_after(ioc, c.generate(ask("stall")), std::chrono::milliseconds(50));
    REQUIRE(out);
    REQUIRE_FALSE(*out);
    CHECK(out->error().code == errc::cancelled);
    // The cancelled connection was closed, not pooled.
    CHECK(c.transport().idle_connections() == 0);
    auto after = run(ioc, c.generate(ask("after")));
    CHECK(after);
  }
  SECTION("a cancelled call gives its connection slot back") {
    // One connection allowed: a slot kept by a cancelled call would make the next call
    // wait for a free connection until its deadline.
    transport::https_options t;
    t.pool.max_connections_per_origin = 1;
    client one(ioc.get_executor(), opts, t);
    for (int i = 0; i < 2; ++i) {
      emu.push_fault(fault_kind::stall_first_byte);
      auto out = cancelled_after(ioc, one.generate(ask("stall")), std::chrono::milliseconds(50));
      REQUIRE(out);
      CHECK_FALSE(*out);
    }
    call_options o;
    o.timeout = std::chrono::seconds(5);
    auto after = run(ioc, one.generate(ask("after"), o));
    REQUIRE(after);
    CHECK_FALSE(after->text().empty());
  }
}

TEST_CASE("100 concurrent requests on one client", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(emu));
  std::vector<std::optional<result<wire::generate_content_response>>> out(100);
  for (std::size_t i = 0; i < out.size(); ++i)
    asio::co_spawn(ioc, store(c.generate(ask("request " + std::to_string(i))), &out[i]),
                   [](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
  ioc.run();
  std::size_t ok = 0;
  for (auto& r : out) ok += (r && *r) ? 1 : 0;
  CHECK(ok == 100);
  CHECK(emu.requests() == 100);
  CHECK(emu.connections() <= c.transport().options().pool.max_connections_per_origin);
}

TEST_CASE("TLS: trusted CA succeeds, untrusted and wrong host fail", "[client][emulator][tls]") {
  emulator_options eo;
  eo.tls = true;
  emulator emu(eo);
  asio::io_context ioc;
  SECTION("trusted") {
    transport::https_options t;
    t.tls.ca_pem = emu.ca_certificate_pem();
    client c(ioc.get_executor(), options_for(emu), t);
    auto r = run(ioc, c.generate(ask("over TLS")));
    REQUIRE(r);
    CHECK_FALSE(r->text().empty());
  }
  SECTION("untrusted") {
    client c(ioc.get_executor(), options_for(emu));
    auto r = run(ioc, c.generate(ask("over TLS")));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::tls);
  }
  SECTION("host-name mismatch") {
    emulator_options other;
    other.tls = true;
    other.tls_host = "example.com";  // certificate for another name
    emulator wrong(other);
    transport::https_options t;
    t.tls.ca_pem = wrong.ca_certificate_pem();
    client c(ioc.get_executor(), options_for(wrong), t);
    auto r = run(ioc, c.generate(ask("over TLS")));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::tls);
  }
}

namespace {

// SSL_CERT_FILE (OpenSSL's override of the system bundle) set for one scope.
struct scoped_cert_file {
  explicit scoped_cert_file(const std::string& pem) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    std::fputs(pem.c_str(), f);
    std::fclose(f);
    point_at(path);
  }
  void point_at(const std::string& file) { ::setenv("SSL_CERT_FILE", file.c_str(), 1); }
  ~scoped_cert_file() {
    ::unsetenv("SSL_CERT_FILE");
    std::remove(path.c_str());
  }
  std::string path = (std::filesystem::temp_directory_path() /
                      ("gemini_test_ca_" + std::to_string(::getpid()) + ".pem"))
                         .string();
};

}  // namespace

TEST_CASE("the system trust store is read at the first TLS connection, not at construction",
          "[client][emulator][tls]") {
  emulator_options eo;
  eo.tls = true;
  emulator emu(eo);
  asio::io_context ioc;
  scoped_cert_file store_file(emu.ca_certificate_pem());
  SECTION("the system store (here SSL_CERT_FILE) alone makes the emulator trusted") {
    client c(ioc.get_executor(), options_for(emu));
    auto r = run(ioc, c.generate(ask("trusted by the system store")));
    REQUIRE(r);
    CHECK_FALSE(r->text().empty());
  }
  SECTION("a store that changes after construction is the one used") {
    store_file.point_at("/nonexistent/ca.pem");
    client trusting_later(ioc.get_executor(), options_for(emu));
    client distrusting_later(ioc.get_executor(), options_for(emu));
    store_file.point_at(store_file.path);
    auto ok = run(ioc, trusting_later.generate(ask("store read now")));
    REQUIRE(ok);
    store_file.point_at("/nonexistent/ca.pem");
    auto refused = run(ioc, distrusting_later.generate(ask("store read now")));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::tls);
  }
}

TEST_CASE("sync_client works without the caller running Asio", "[client][emulator]") {
  emulator emu;
  sync_client c(options_for(emu));
  auto r = c.generate(ask("blocking"));
  REQUIRE(r);
  CHECK_FALSE(r->text().empty());
  auto again = c.generate(ask("blocking again"));
  REQUIRE(again);
  CHECK(emu.connections() == 1);
}

namespace {

struct user_results {
  std::optional<result<wire::generate_content_response>> plain, with_options, streamed;
  std::optional<result<wire::count_tokens_response>> counted;
  std::optional<result<wire::list_models_response>> listed;
  std::optional<result<wire::model_info>> model;
  std::string chunks;
};

// Application code as users write it: co_await inside their own coroutine, every call
// form (with and without call_options), named arguments. Before the overloads replaced
// default arguments, GCC 12 freed an invalid pointer here (docs/decisions/0004).
asio::awaitable<void> user_code(client& c, user_results* out) {
  auto req = ask("from a coroutine");
  out->plain.emplace(co_await c.generate(req));
  call_options o;
  o.tenant = "t1";  // short strings live inside the object (SSO): the sensitive case
  o.model = "gemini-2.5-pro";
  auto req2 = ask("with options");
  out->with_options.emplace(co_await c.generate(std::move(req2), o));
  auto on_chunk = [out](const wire::generate_content_response& ch) { out->chunks += ch.text(); };
  auto req3 = ask("streamed from a coroutine");
  out->streamed.emplace(co_await c.stream(std::move(req3), on_chunk));
  wire::count_tokens_request ct;
  ct.contents.push_back(wire::content::user("count me"));
  out->counted.emplace(co_await c.count_tokens(std::move(ct)));
  out->listed.emplace(co_await c.list_models());
  std::string name = "gemini-2.5-flash";
  out->model.emplace(co_await c.get_model(name));
}

}  // namespace

TEST_CASE("every call form works from a user coroutine", "[client][emulator]") {
  emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(emu));
  user_results r;
  asio::co_spawn(ioc, user_code(c, &r), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.run();
  REQUIRE(r.plain);
  CHECK(*r.plain);
  REQUIRE(r.with_options);
  REQUIRE(*r.with_options);
  CHECK((*r.with_options)->model_version.find("gemini-2.5-pro") != std::string::npos);
  REQUIRE(r.streamed);
  REQUIRE(*r.streamed);
  CHECK((*r.streamed)->text() == r.chunks);
  REQUIRE(r.counted);
  CHECK(*r.counted);
  REQUIRE(r.listed);
  CHECK(*r.listed);
  REQUIRE(r.model);
  CHECK(*r.model);
}
