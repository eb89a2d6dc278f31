// One client per thread (an io_context each), four threads, sharing one limiter and one
// memory cache: what a service with an io_context per core does. scripts/test.sh also runs
// this executable under ThreadSanitizer.
#include <gemini/cache/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/shared.hpp>
#include <gemini/sync/multi_thread.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using gemini::testing::emulator;

namespace {

struct threaded : policies::defaults {
  using limit = gemini::shared<gemini::limit::basic_token_bucket<gemini::sync::multi_thread>>;
  using cache = gemini::shared<gemini::cache::memory<gemini::sync::multi_thread>>;
};

struct tally {
  std::atomic<int> ok{0}, limited{0}, other{0}, from_cache{0}, coalesced{0}, wrong_text{0};
};

asio::awaitable<void> calls(basic_client<threaded>& c, int thread, int n, tally& t) {
  for (int i = 0; i < n; ++i) {
    // Half the prompts are the same in every thread (the shared cache answers those once
    // stored), half are this thread's own.
    std::string prompt = i % 2
                             ? "shared prompt " + std::to_string(i % 6)
                             : "thread " + std::to_string(thread) + " prompt " + std::to_string(i);
    auto r = co_await c.generate(prompt);
    if (r) {
      ++t.ok;
      if (r->delivery.from == wire::source::cache) ++t.from_cache;
      if (r->delivery.from == wire::source::shared) ++t.coalesced;  // joined its client's call
      if (r->text().empty()) ++t.wrong_text;
    } else if (r.error().code == errc::rate_limited) {
      ++t.limited;
    } else {
      ++t.other;
      UNSCOPED_INFO(r.error().message);
    }
  }
}

}  // namespace

TEST_CASE("four threads, a client each, one limiter and one cache", "[shared][threads]") {
  emulator emu;
  limit::token_bucket_options lo;
  lo.requests_per_minute = 40;  // the bucket holds 40; it refills 40 a minute
  lo.max_wait = 0ms;            // a caller the bucket cannot serve now is refused
  auto limiter = std::make_shared<threaded::limit::policy_type>(lo);
  auto cache = std::make_shared<threaded::cache::policy_type>();

  constexpr int threads = 4, per_thread = 4, per_client = 30;
  tally t;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int th = 0; th < threads; ++th)
    pool.emplace_back([&, th] {
      asio::io_context ioc;
      basic_config<threaded> cfg;
      cfg.client.key = api_key("test-key");
      cfg.client.base_url = emu.base_url() + "/v1beta";
      cfg.client.model = "gemini-2.5-flash";
      cfg.limit.policy = limiter;
      cfg.cache.policy = cache;
      basic_client<threaded> c(ioc.get_executor(), std::move(cfg));
      for (int k = 0; k < per_thread; ++k)  // several calls in flight per client
        asio::co_spawn(ioc, calls(c, th * per_thread + k, per_client / per_thread, t),
                       asio::detached);
      ioc.run();
    });
  for (auto& th : pool) th.join();
  auto minutes =
      std::chrono::duration<double, std::ratio<60>>(std::chrono::steady_clock::now() - t0);

  const int total = threads * per_thread * (per_client / per_thread);
  INFO("ok " << t.ok << ", limited " << t.limited << ", from cache " << t.from_cache << ", other "
             << t.other << ", requests " << emu.requests());
  CHECK(t.other == 0);
  CHECK(t.wrong_text == 0);
  CHECK(t.ok + t.limited == total);
  // Every call that reached the service was admitted by the one limiter, and the limiter
  // admitted no more than its bucket plus what refilled while the test ran.
  const auto sent = static_cast<int>(emu.requests());
  CHECK(sent == t.ok - t.from_cache - t.coalesced);
  CHECK(sent <= 40 + static_cast<int>(minutes.count() * 40) + 1);
  // At least 56 calls (each thread's own prompts) cannot be answered from the cache, so the
  // whole bucket was used: with a bucket per client, up to 4 x 40 would have gone out.
  CHECK(sent >= 40);
  CHECK(limiter->in_flight() == 0);
  CHECK(cache->stats().hits == static_cast<std::uint64_t>(t.from_cache.load()));
}

namespace {

/// The shared bucket, counting the calls it admitted that have not ended yet.
class counting_bucket : public limit::basic_token_bucket<sync::multi_thread> {
 public:
  using basic_token_bucket::basic_token_bucket;
  limit::grant try_acquire(const limit::cost& c, time_point now) {
    auto g = basic_token_bucket::try_acquire(c, now);
    if (g.granted) {
      int n = ++running;
      int p = peak.load();
      while (n > p && !peak.compare_exchange_weak(p, n)) {
      }
    }
    return g;
  }
  void release(const limit::cost& c, std::int64_t actual, time_point now) {
    --running;
    basic_token_bucket::release(c, actual, now);
  }
  std::atomic<int> running{0}, peak{0};
};

struct capped : policies::defaults {
  using limit = gemini::shared<counting_bucket>;
};

}  // namespace

TEST_CASE("four threads, a client each, one concurrency cap", "[shared][threads]") {
  emulator emu;
  emu.set_latency({.first_byte = 2ms});  // calls overlap
  limit::token_bucket_options lo;
  lo.max_concurrency = 3;
  lo.max_wait = 60s;  // nobody gives up: every call is served, three at a time at most
  auto limiter = std::make_shared<counting_bucket>(lo);
  constexpr int threads = 4, per_thread = 3, calls_each = 5;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> pool;
  for (int th = 0; th < threads; ++th)
    pool.emplace_back([&] {
      asio::io_context ioc;
      basic_config<capped> cfg;
      cfg.client.key = api_key("test-key");
      cfg.client.base_url = emu.base_url() + "/v1beta";
      cfg.client.model = "gemini-2.5-flash";
      cfg.client.timeout = 120s;
      cfg.limit.policy = limiter;
      basic_client<capped> c(ioc.get_executor(), std::move(cfg));
      for (int k = 0; k < per_thread; ++k)
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
              for (int i = 0; i < calls_each; ++i) {
                auto r = co_await c.generate("count to " + std::to_string(i));
                ++(r ? ok : failed);
              }
            },
            asio::detached);
      ioc.run();
    });
  for (auto& th : pool) th.join();
  CHECK(ok == threads * per_thread * calls_each);
  CHECK(failed == 0);
  CHECK(limiter->peak <= 3);
  CHECK(limiter->peak >= 1);
  CHECK(limiter->running == 0);
  CHECK(limiter->in_flight() == 0);
}
