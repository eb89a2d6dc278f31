// The durable job queue on Redis Streams: submit and idempotency, dead-lettering, and the
// crash tests: 1,000 jobs against the emulator with the worker process SIGKILLed mid-batch
// and restarted, and with Redis restarted mid-batch. The emulator counts the calls paid.
#include <gemini/client.hpp>
#include <gemini/queue/redis.hpp>
#include <gemini/testing/emulator.hpp>

#include "redis/process_util.hpp"
#include "redis/redis_test_util.hpp"

#include <boost/asio/detached.hpp>

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace gemini;
using namespace gemini::testing;
using namespace std::chrono_literals;

namespace {

redis::options at(const redis_server& srv) {
  redis::options o;
  o.port = srv.port();
  o.reconnect_backoff_initial = 10ms;
  o.reconnect_backoff_max = 100ms;
  return o;
}

queue::job ask(int i, const char* lane) {
  queue::job j;
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("job " + std::to_string(i)));
  j.request = std::move(r);
  j.lane = lane;
  j.idempotency_key = "k" + std::to_string(i);
  return j;
}

std::int64_t ended(asio::io_context& ioc, queue::redis_queue& q) {
  auto n = run(ioc, q.ended());
  return n ? *n : -1;
}

/// Submits `n` jobs over the three lanes.
void submit_all(asio::io_context& ioc, queue::redis_queue& q, int n) {
  const char* lanes[] = {"high", "medium", "low"};
  for (int i = 0; i < n; ++i) {
    auto id = run(ioc, q.submit(ask(i, lanes[i % 3])));
    REQUIRE(id);
  }
}

/// Every job's result is stored, under its idempotency key.
void check_all_results(asio::io_context& ioc, redis::connection& conn, int n) {
  int present = 0;
  for (int i = 0; i < n; ++i) {
    auto r = run(ioc, conn.command("EXISTS", "gemini:queue:result:k" + std::to_string(i)));
    REQUIRE(r);
    present += static_cast<int>(r->integer());
  }
  CHECK(present == n);
}

}  // namespace

TEST_CASE("queue on Redis: jobs run, a known idempotency key is not run again", "[queue][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  redis::connection conn(ioc.get_executor(), at(srv));
  client_options co;
  co.key = api_key("test-key");
  co.base_url = emu.base_url() + "/v1beta";
  co.model = "gemini-2.5-flash";
  basic_client<policies::defaults> client(ioc.get_executor(), co);
  queue::redis_options qo;
  qo.poll = 5ms;
  qo.backoff = 1ms;
  queue::redis_queue q(conn, qo);
  queue::redis_worker<decltype(client)> w(client, conn, qo);

  auto a = run(ioc, q.submit(ask(1, "high")));
  REQUIRE(a);
  auto again = run(ioc, q.submit(ask(1, "low")));  // the same key: the same job
  REQUIRE(again);
  CHECK(*again == *a);
  auto bad = run(ioc, q.submit(ask(2, "nope")));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
  // A poison entry (not a job) goes to the dead-letter stream.
  REQUIRE(run(ioc, conn.command("XADD", "gemini:queue:lane:medium", "*", "id", "poison", "job",
                                "{not json")));

  asio::co_spawn(ioc, w.run(), asio::detached);
  run(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ioc);
    while (w.stats().ended < 2) {
      t.expires_after(5ms);
      co_await t.async_wait(asio::use_awaitable);
    }
  }());
  auto res = run(ioc, q.result_of("k1"));
  REQUIRE(res);
  REQUIRE(*res);
  CHECK((*res)->find("\"state\":\"succeeded\"") != std::string::npos);
  CHECK(emu.requests("generateContent") == 1);
  auto dead = run(ioc, conn.command("XLEN", "gemini:queue:dead"));
  REQUIRE(dead);
  CHECK(dead->integer() == 1);
  // Submitted again after it ended: the stored result is reused, nothing runs.
  auto third = run(ioc, q.submit(ask(1, "high")));
  REQUIRE(third);
  CHECK(*third == *a);
  w.stop();
  run(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ioc, 50ms);
    co_await t.async_wait(asio::use_awaitable);
  }());
  CHECK(emu.requests("generateContent") == 1);
}

TEST_CASE(
    "queue on Redis: a worker killed mid-batch and restarted: 1,000 results, none paid "
    "twice beyond those in flight",
    "[queue][redis][process]") {
  redis_server_options so;
  so.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  redis_server srv(so);
  emulator emu;
  emu.set_latency({.first_byte = 2ms});
  asio::io_context ioc;
  redis::connection conn(ioc.get_executor(), at(srv));
  queue::redis_queue q(conn, {});
  constexpr int n = 1000;
  submit_all(ioc, q, n);

  const std::string port = std::to_string(srv.port());
  pid_t a = spawn_process(GEMINI_QUEUE_WORKER, {port, emu.base_url(), "500", std::to_string(n)});
  auto until = std::chrono::steady_clock::now() + 60s;
  while (ended(ioc, q) < 300 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  ::kill(a, SIGKILL);
  CHECK(wait_exit(a) == 128 + SIGKILL);
  const auto at_kill = ended(ioc, q);
  INFO("ended at the kill: " << at_kill);
  CHECK(at_kill < n);  // killed mid-batch

  pid_t b = spawn_process(GEMINI_QUEUE_WORKER, {port, emu.base_url(), "500", std::to_string(n)});
  CHECK(wait_exit(b) == 0);  // exits once all 1,000 ended
  CHECK(ended(ioc, q) == n);
  check_all_results(ioc, conn, n);
  // Calls paid: 1,000, plus at most those in flight at the kill (the 9 workers' slots).
  const auto calls = emu.requests("generateContent");
  std::printf("worker killed after %lld of %d jobs ended; %zu calls paid for %d results\n",
              static_cast<long long>(at_kill), n, calls, n);
  CHECK(calls >= static_cast<std::size_t>(n));
  CHECK(calls <= static_cast<std::size_t>(n) + 9);
}

TEST_CASE("queue on Redis: Redis restarted mid-batch: 1,000 results, 0 lost",
          "[queue][redis][process]") {
  redis_server_options so;
  so.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  redis_server srv(so);
  emulator emu;
  emu.set_latency({.first_byte = 2ms});
  asio::io_context ioc;
  redis::connection conn(ioc.get_executor(), at(srv));
  queue::redis_queue q(conn, {});
  constexpr int n = 1000;
  submit_all(ioc, q, n);

  const std::string port = std::to_string(srv.port());
  pid_t w = spawn_process(GEMINI_QUEUE_WORKER, {port, emu.base_url(), "500", std::to_string(n)});
  auto until = std::chrono::steady_clock::now() + 60s;
  while (ended(ioc, q) < 300 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  srv.restart();  // same port, the AOF replayed
  CHECK(wait_exit(w) == 0);
  CHECK(ended(ioc, q) == n);
  check_all_results(ioc, conn, n);
  const auto calls = emu.requests("generateContent");
  std::printf("Redis restarted mid-batch: %zu calls paid for %d results\n", calls, n);
  CHECK(calls <= static_cast<std::size_t>(n) + 9);
}

TEST_CASE(
    "queue on Redis: a job past max deliveries ends dead-lettered with a result; a "
    "repeated id is not queued twice",
    "[queue][redis]") {
  redis_server srv;
  emulator emu;
  asio::io_context ioc;
  redis::connection conn(ioc.get_executor(), at(srv));
  client_options co;
  co.key = api_key("test-key");
  co.base_url = emu.base_url() + "/v1beta";
  co.model = "gemini-2.5-flash";
  basic_client<policies::defaults> client(ioc.get_executor(), co);
  queue::redis_options qo;
  qo.poll = 5ms;
  qo.max_deliveries = 2;
  queue::redis_queue q(conn, qo);
  auto j = ask(7, "low");
  j.id = "fixed-id";
  REQUIRE(run(ioc, q.submit(j)));
  j.idempotency_key.clear();
  REQUIRE(run(ioc, q.submit(j)));  // the same id again (e.g. a retried submit): not re-queued
  auto len = run(ioc, conn.command("XLEN", "gemini:queue:lane:low"));
  REQUIRE(len);
  CHECK(len->integer() == 1);
  // As if two workers had died holding it.
  REQUIRE(run(ioc, conn.command("HSET", "gemini:queue:job:fixed-id", "deliveries", "2")));
  queue::redis_worker<decltype(client)> w(client, conn, qo);
  asio::co_spawn(ioc, w.run(), asio::detached);
  run(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ioc);
    while (w.stats().dead_lettered < 1) {
      t.expires_after(5ms);
      co_await t.async_wait(asio::use_awaitable);
    }
  }());
  CHECK(ended(ioc, q) == 1);
  auto res = run(ioc, q.result_of("k7"));
  REQUIRE(res);
  REQUIRE(*res);
  CHECK((*res)->find("dead_lettered") != std::string::npos);
  CHECK(emu.requests("generateContent") == 0);
  w.stop();
  run(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ioc, 50ms);
    co_await t.async_wait(asio::use_awaitable);
  }());
}
