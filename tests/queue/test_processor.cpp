// queue::processor over a scripted transport (the order requests reach the "server" shows
// the scheduling) and the emulator (slow answers, to cancel running jobs): lanes, strict
// and weighted scheduling, aging, backpressure, retries by error class, states, cancel,
// drain, results, idempotency.
#include <gemini/client.hpp>
#include <gemini/queue/processor.hpp>
#include <gemini/testing/emulator.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <thread>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using gemini::test::run;

namespace {

struct scripted : policies::defaults {
  using transport = gemini::transport::scripted_transport;
};
using scripted_client = basic_client<scripted>;
using proc = queue::processor<scripted_client>;

client_options opts() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.model = "gemini-2.5-flash";
  return o;
}

std::string ok_body(const std::string& text) {
  return R"({"candidates":[{"content":{"parts":[{"text":")" + text +
         R"("}],"role":"model"},"finishReason":"STOP"}],)"
         R"("usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3}})";
}

std::string err_body(int code, const std::string& status, const std::string& details = "") {
  return R"({"error":{"code":)" + std::to_string(code) + R"(,"message":"m","status":")" + status +
         R"(")" + (details.empty() ? "" : R"(,"details":[)" + details + "]") + "}}";
}
const std::string retry_info =
    R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.02s"})";
const std::string per_day =
    R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]})";

queue::job job(std::string prompt, std::string lane = "") {
  queue::job j;
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(prompt));
  j.request = std::move(r);
  j.lane = std::move(lane);
  return j;
}

/// The user prompt of a scripted request.
std::string prompt_of(const transport::http_request& h) {
  auto v = boost::json::parse(h.body);
  return std::string(v.at("contents").at(0).at("parts").at(0).at("text").as_string());
}

/// A client whose server answers "echo: <prompt>" and records the order of prompts.
struct echo_fixture {
  asio::io_context ioc;
  scripted_client c{ioc.get_executor(), opts()};
  std::vector<std::string> order;
  echo_fixture() {
    c.transport().set_responder([this](const transport::http_request& h) {
      order.push_back(prompt_of(h));
      return transport::scripted_reply::ok(ok_body("echo: " + order.back()));
    });
  }
};

}  // namespace

TEST_CASE("queue: jobs run, results are kept and awaited", "[queue]") {
  echo_fixture f;
  proc p(f.c);
  std::vector<std::string> done;
  auto id = p.try_submit(job("one"));
  REQUIRE(id);
  auto s = p.status(*id);
  REQUIRE(s);
  CHECK(s->state == queue::job_state::running);  // a free worker took it at once
  auto r = run(f.ioc, p.wait(*id));
  REQUIRE(r);
  CHECK(r->state == queue::job_state::succeeded);
  CHECK(r->text() == "echo: one");
  CHECK(r->attempts == 1);
  CHECK(r->ended >= r->started);
  CHECK(p.status(*id)->state == queue::job_state::succeeded);
  auto missing = run(f.ioc, p.wait("nope"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
}

TEST_CASE("queue: strict priority gives the free worker to the highest lane", "[queue]") {
  echo_fixture f;
  queue::processor_options o;
  o.max_running = 1;
  proc p(f.c, o);
  REQUIRE(p.try_submit(job("low-1", "low")));  // starts at once: nothing else waits
  for (auto n : {"low-2", "low-3"}) REQUIRE(p.try_submit(job(n, "low")));
  for (auto n : {"high-1", "high-2"}) REQUIRE(p.try_submit(job(n, "high")));
  REQUIRE(p.try_submit(job("medium-1", "medium")));
  f.ioc.run();
  CHECK(f.order ==
        std::vector<std::string>{"low-1", "high-1", "high-2", "medium-1", "low-2", "low-3"});
}

TEST_CASE("queue: weighted scheduling shares the workers by weight", "[queue]") {
  echo_fixture f;
  queue::processor_options o;
  o.lanes = {{"a", 4, 3}, {"b", 4, 1}};
  o.scheduling = queue::scheduling::weighted;
  o.max_running = 1;
  proc p(f.c, o);
  REQUIRE(p.try_submit(job("first", "b")));
  for (int i = 0; i < 8; ++i) {
    REQUIRE(p.try_submit(job("a", "a")));
    REQUIRE(p.try_submit(job("b", "b")));
  }
  f.ioc.run();
  REQUIRE(f.order.size() == 17);
  std::vector<std::string> next8(f.order.begin() + 1, f.order.begin() + 9);
  CHECK(std::count(next8.begin(), next8.end(), "a") == 6);  // 3 : 1
  CHECK(std::count(next8.begin(), next8.end(), "b") == 2);
}

TEST_CASE("queue: aging takes a job that waited too long before newer high ones", "[queue]") {
  echo_fixture f;
  queue::processor_options o;
  o.max_running = 1;
  o.aging = 1ms;
  proc p(f.c, o);
  REQUIRE(p.try_submit(job("blocker", "high")));
  REQUIRE(p.try_submit(job("old-low", "low")));
  std::this_thread::sleep_for(5ms);  // old-low is past `aging` before the next pick
  REQUIRE(p.try_submit(job("new-high", "high")));
  f.ioc.run();
  CHECK(f.order == std::vector<std::string>{"blocker", "old-low", "new-high"});
}

TEST_CASE("queue: a bounded queue refuses (try_submit) or waits (submit)", "[queue]") {
  echo_fixture f;
  queue::processor_options o;
  o.capacity = 2;
  proc p(f.c, o);
  REQUIRE(p.try_submit(job("1")));
  REQUIRE(p.try_submit(job("2")));
  auto full = p.try_submit(job("3"));
  REQUIRE_FALSE(full);
  CHECK(full.error().code == errc::unavailable);
  auto waited = run(f.ioc, p.submit(job("3")));  // returns once a job ended
  REQUIRE(waited);
  f.ioc.restart();
  f.ioc.run();
  CHECK(f.order.size() == 3);
  // Bad jobs fail at submit.
  auto bad = p.try_submit(job("x", "no-such-lane"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
  queue::job empty;
  empty.request = wire::generate_content_request{};
  CHECK(p.try_submit(empty).error().code == errc::invalid_argument);
  auto emb = job("e");
  emb.request = wire::embed_content_request{};
  emb.stream = true;
  CHECK(p.try_submit(emb).error().code == errc::invalid_argument);
}

TEST_CASE("queue: a per-minute 429 pauses the lane without spending a retry", "[queue]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), opts());
  c.transport().push_body(err_body(429, "RESOURCE_EXHAUSTED", retry_info), 429);
  c.transport().push_body(ok_body("fine"));
  queue::processor_options o;
  o.lanes = {{"only", 1, 1}};
  proc p(c, o);
  auto j = job("x");
  j.max_retries = 0;  // would dead-letter on any spent retry
  auto id = p.try_submit(j);
  REQUIRE(id);
  auto r = run(ioc, p.wait(*id));
  REQUIRE(r);
  CHECK(r->state == queue::job_state::succeeded);
  CHECK(r->attempts == 1);
  CHECK(r->pauses == 1);
  CHECK(p.stats()[0].pauses == 1);
}

TEST_CASE("queue: retries by error class", "[queue]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), opts());
  queue::processor_options o;
  o.backoff = 1ms;
  o.lanes = {{"only", 1, 1}};
  proc p(c, o);
  SECTION("5xx retried, then succeeded") {
    c.transport().push_body(err_body(503, "UNAVAILABLE"), 503);
    c.transport().push_body(ok_body("ok"));
    auto r = run(ioc, p.wait(p.try_submit(job("x")).value()));
    REQUIRE(r);
    CHECK(r->state == queue::job_state::succeeded);
    CHECK(r->attempts == 2);
  }
  SECTION("5xx past max_retries: dead-lettered") {
    for (int i = 0; i < 3; ++i) c.transport().push_body(err_body(500, "INTERNAL"), 500);
    auto j = job("x");
    j.max_retries = 2;
    auto r = run(ioc, p.wait(p.try_submit(j).value()));
    REQUIRE(r);
    CHECK(r->state == queue::job_state::dead_lettered);
    CHECK(r->attempts == 3);
    REQUIRE(r->error);
    CHECK(r->error->code == errc::internal);
    CHECK(c.transport().requests().size() == 3);
  }
  SECTION("a per-day quota fails at once") {
    c.transport().push_body(err_body(429, "RESOURCE_EXHAUSTED", per_day), 429);
    auto r = run(ioc, p.wait(p.try_submit(job("x")).value()));
    REQUIRE(r);
    CHECK(r->state == queue::job_state::failed);
    CHECK(r->error->code == errc::quota_exhausted);
    CHECK(r->attempts == 1);
  }
  SECTION("a content-policy / bad request error is not retried") {
    c.transport().push_body(err_body(400, "INVALID_ARGUMENT"), 400);
    auto r = run(ioc, p.wait(p.try_submit(job("x")).value()));
    REQUIRE(r);
    CHECK(r->state == queue::job_state::failed);
    CHECK(c.transport().requests().size() == 1);
  }
}

TEST_CASE("queue: an idempotency key reuses the stored result", "[queue]") {
  echo_fixture f;
  proc p(f.c);
  auto j = job("pay once");
  j.idempotency_key = "order-42";
  auto a = p.try_submit(j);
  REQUIRE(a);
  REQUIRE(run(f.ioc, p.wait(*a)));
  auto b = p.try_submit(j);  // after the first ended
  REQUIRE(b);
  CHECK(*b == *a);
  auto r = run(f.ioc, p.wait(*b));
  REQUIRE(r);
  CHECK(r->text() == "echo: pay once");
  CHECK(f.order.size() == 1);  // one call paid
}

TEST_CASE("queue: cancel a queued and a running job; drain with a deadline", "[queue][emulator]") {
  gemini::testing::emulator emu;
  emu.set_latency({.first_byte = 300ms});
  asio::io_context ioc;
  client_options co;
  co.key = api_key("test-key");
  co.base_url = emu.base_url() + "/v1beta";
  co.model = "gemini-2.5-flash";
  using emu_client = basic_client<policies::defaults>;
  emu_client c(ioc.get_executor(), co);
  queue::processor_options o;
  o.lanes = {{"only", 1, 1}};
  std::vector<std::string> ended;
  o.on_done = [&](const queue::job_result& r) {
    ended.push_back(r.id + ":" + std::string(queue::to_string(r.state)));
  };
  queue::processor<emu_client> p(c, o);
  auto running = p.try_submit(job("slow")).value();
  auto queued = p.try_submit(job("waiting")).value();
  auto third = p.try_submit(job("third")).value();
  CHECK(p.cancel(queued));
  CHECK(p.status(queued)->state == queue::job_state::cancelled);
  CHECK_FALSE(p.cancel(queued));  // already ended
  // 50 ms in, cancel the running job; then drain with a 50 ms deadline: "third" (300 ms)
  // is running by then and is cancelled.
  auto script = [&]() -> asio::awaitable<std::pair<result<queue::job_result>, std::size_t>> {
    asio::steady_timer t(ioc, 50ms);
    co_await t.async_wait(asio::use_awaitable);
    p.cancel(running);
    auto r = co_await p.wait(running);
    auto deadline = queue::clock::now() + 50ms;
    auto n = co_await p.drain(deadline);
    co_return std::pair{std::move(r), n};
  };
  auto [r, n] = run(ioc, script());
  REQUIRE(r);
  CHECK(r->state == queue::job_state::cancelled);
  CHECK(n == 1);
  CHECK(p.status(third)->state == queue::job_state::cancelled);
  CHECK(p.unfinished() == 0);
  CHECK(p.try_submit(job("late")).error().code == errc::unavailable);
  CHECK(ended.size() == 3);
}

TEST_CASE("queue: stream-to-text, embed and count-tokens jobs", "[queue][emulator]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  client_options co;
  co.key = api_key("test-key");
  co.base_url = emu.base_url() + "/v1beta";
  co.model = "gemini-2.5-flash";
  using emu_client = basic_client<policies::defaults>;
  emu_client c(ioc.get_executor(), co);
  queue::processor<emu_client> p(c);
  auto s = job("stream me");
  s.stream = true;
  auto sid = p.try_submit(s).value();
  queue::job e;
  wire::embed_content_request er;
  er.content = wire::content::user("embed me");
  e.request = er;
  e.model = "gemini-embedding-001";
  auto eid = p.try_submit(e).value();
  queue::job t;
  wire::count_tokens_request tr;
  tr.contents.push_back(wire::content::user("count me"));
  t.request = tr;
  auto tid = p.try_submit(t).value();
  auto rs = run(ioc, p.wait(sid));
  REQUIRE(rs);
  CHECK(rs->state == queue::job_state::succeeded);
  CHECK_FALSE(rs->text().empty());
  auto re = run(ioc, p.wait(eid));
  REQUIRE(re);
  INFO((re->error ? re->error->what() : ""));
  CHECK(re->state == queue::job_state::succeeded);
  CHECK_FALSE(std::get<wire::embed_content_response>(re->response).embedding.values.empty());
  auto rt = run(ioc, p.wait(tid));
  REQUIRE(rt);
  CHECK(std::get<wire::count_tokens_response>(rt->response).total_tokens > 0);
}

TEST_CASE("queue: the completion channel hands out each ended job once", "[queue]") {
  echo_fixture f;
  queue::processor_options o;
  o.completions = 2;
  o.max_running = 1;
  proc p(f.c, o);
  for (auto n : {"a", "b", "c"}) REQUIRE(p.try_submit(job(n)));
  f.ioc.run();  // all three end; nobody reads: the oldest is dropped
  CHECK(p.completions_missed() == 1);
  auto first = run(f.ioc, p.next_completion());
  REQUIRE(first);
  CHECK(first->text() == "echo: b");
  auto second = run(f.ioc, p.next_completion());
  REQUIRE(second);
  CHECK(second->text() == "echo: c");
  // A waiting reader is woken by the next job to end.
  auto script = [&]() -> asio::awaitable<result<queue::job_result>> {
    auto id = p.try_submit(job("d"));
    if (!id) co_return id.error();
    co_return co_await p.next_completion();
  };
  auto third = run(f.ioc, script());
  REQUIRE(third);
  CHECK(third->text() == "echo: d");
  // Drained with nothing left: the reader hears it instead of waiting forever.
  auto drained = [&]() -> asio::awaitable<result<queue::job_result>> {
    co_await p.drain(queue::clock::now());
    co_return co_await p.next_completion();
  };
  auto none = run(f.ioc, drained());
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::cancelled);
}

TEST_CASE("queue: a submit() that gave up does not swallow the wake-up of the next one",
          "[queue][emulator]") {
  gemini::testing::emulator emu;
  emu.set_latency({.first_byte = 200ms});
  asio::io_context ioc;
  client_options co;
  co.key = api_key("test-key");
  co.base_url = emu.base_url() + "/v1beta";
  co.model = "gemini-2.5-flash";
  using emu_client = basic_client<policies::defaults>;
  emu_client c(ioc.get_executor(), co);
  queue::processor_options o;
  o.capacity = 1;
  queue::processor<emu_client> p(c, o);
  REQUIRE(p.try_submit(job("first")));  // 200 ms: the queue is full meanwhile
  // S1 waits for room and is cancelled; S2 waits too; when "first" ends, S2 gets the room.
  asio::cancellation_signal cancel_s1;
  std::optional<result<std::string>> s1, s2;
  asio::co_spawn(ioc, gemini::test::store(p.submit(job("s1")), &s1),
                 asio::bind_cancellation_slot(cancel_s1.slot(), [](std::exception_ptr) {}));
  asio::co_spawn(ioc, gemini::test::store(p.submit(job("s2")), &s2), [](std::exception_ptr) {});
  ioc.run_for(50ms);  // both wait
  REQUIRE_FALSE(s1);
  cancel_s1.emit(asio::cancellation_type::terminal);
  ioc.run_for(20ms);
  REQUIRE(s1);
  CHECK_FALSE(*s1);
  ioc.run();
  REQUIRE(s2);
  CHECK(*s2);
  // A keyed submit waits for room too (it used to be refused at once when full).
  REQUIRE(p.try_submit(job("again")));
  auto keyed = job("keyed");
  keyed.idempotency_key = "key-1";
  auto k = run(ioc, p.submit(keyed));
  CHECK(k);
}
