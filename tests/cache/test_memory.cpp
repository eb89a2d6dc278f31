// cache::memory: LRU order, TTL and the stale window (explicit time points), the byte
// budget, counters, and the thread-safe variant under several threads.
#include <gemini/cache/memory.hpp>
#include <gemini/sync/multi_thread.hpp>
#include <gemini/wire/json.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <random>
#include <thread>

using namespace gemini;
using namespace std::chrono_literals;

namespace {

cache::response_ptr answer(std::string text) {
  wire::generate_content_response r;
  wire::candidate c;
  c.content = wire::content::model(std::move(text));
  c.finish_reason = wire::finish_reason("STOP");
  r.candidates.push_back(std::move(c));
  return std::make_shared<const cache::response>(std::move(r));
}

cache::key k(std::string_view s) { return cache::sha256::of(s); }

std::size_t cost(const cache::response_ptr& r) {
  return wire::serialize(*r).size() + cache::memory<>::entry_overhead;
}

const cache::time_point t0 = cache::time_point{} + 1h;

}  // namespace

TEST_CASE("memory: a stored entry is found until its TTL, then dropped", "[cache][memory]") {
  cache::memory<> m;
  CHECK_FALSE(m.lookup(k("a"), t0));
  m.store(k("a"), answer("A"), 10s, t0);
  auto hit = m.lookup(k("a"), t0 + 9s);
  REQUIRE(hit);
  CHECK_FALSE(hit.stale);
  CHECK(hit.value->text() == "A");
  CHECK_FALSE(m.lookup(k("a"), t0 + 10s));  // expires at exactly t0 + ttl
  auto s = m.stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 2);
  CHECK(s.expirations == 1);
  CHECK(s.entries == 0);
  CHECK(s.bytes == 0);
}

TEST_CASE("memory: within the stale window an expired entry is returned marked stale",
          "[cache][memory]") {
  cache::memory_options o;
  o.stale_if_error = 30s;
  cache::memory<> m(o);
  m.store(k("a"), answer("A"), 10s, t0);
  auto s1 = m.lookup(k("a"), t0 + 15s);
  REQUIRE(s1);
  CHECK(s1.stale);
  CHECK(m.stats().stale_found == 1);
  CHECK(m.stats().entries == 1);  // kept for the rest of the window
  CHECK_FALSE(m.lookup(k("a"), t0 + 40s));
  CHECK(m.stats().entries == 0);
}

TEST_CASE("memory: least recently used entries are evicted first", "[cache][memory]") {
  auto a = answer("A"), b = answer("B"), c = answer("C");
  cache::memory_options o;
  o.max_bytes = cost(a) + cost(b) + cost(c) / 2;  // room for two
  cache::memory<> m(o);
  m.store(k("a"), a, 1h, t0);
  m.store(k("b"), b, 1h, t0);
  REQUIRE(m.lookup(k("a"), t0));  // a is now the most recent
  m.store(k("c"), c, 1h, t0);     // evicts b
  CHECK(m.lookup(k("a"), t0));
  CHECK_FALSE(m.lookup(k("b"), t0));
  CHECK(m.lookup(k("c"), t0));
  auto s = m.stats();
  CHECK(s.evictions == 1);
  CHECK(s.entries == 2);
  CHECK(s.bytes == cost(a) + cost(c));
  CHECK(s.bytes <= o.max_bytes);
}

TEST_CASE("memory: the byte budget holds, and an entry larger than it is refused",
          "[cache][memory]") {
  cache::memory_options o;
  o.max_bytes = 4096;
  cache::memory<> m(o);
  m.store(k("huge"), answer(std::string(5000, 'x')), 1h, t0);
  CHECK_FALSE(m.lookup(k("huge"), t0));
  CHECK(m.stats().rejected == 1);
  for (int i = 0; i < 100; ++i) {
    m.store(k(std::to_string(i)), answer(std::string(100 + i, 'y')), 1h, t0);
    CHECK(m.stats().bytes <= o.max_bytes);
  }
  auto s = m.stats();
  CHECK(s.entries > 1);
  CHECK(s.evictions == 100 - s.entries);
  CHECK(m.lookup(k("99"), t0));  // the newest is always kept
}

TEST_CASE("memory: storing a key again replaces the value and its size", "[cache][memory]") {
  cache::memory<> m;
  m.store(k("a"), answer("short"), 1h, t0);
  auto longer = answer(std::string(1000, 'z'));
  m.store(k("a"), longer, 1h, t0);
  CHECK(m.lookup(k("a"), t0).value->text().size() == 1000);
  CHECK(m.stats().entries == 1);
  CHECK(m.stats().bytes == cost(longer));
  CHECK(m.erase(k("a")));
  CHECK_FALSE(m.erase(k("a")));
  CHECK(m.stats().bytes == 0);
}

TEST_CASE("memory: randomized operations keep the accounting exact", "[cache][memory]") {
  cache::memory_options o;
  o.max_bytes = 20000;
  o.shards = 4;
  cache::memory<> m(o);
  std::mt19937 rng(7);
  std::map<std::string, std::size_t> sizes;  // what was last stored under each name
  for (int i = 0; i < 5000; ++i) {
    auto name = std::to_string(rng() % 64);
    auto now = t0 + std::chrono::seconds(i / 100);
    switch (rng() % 3) {
      case 0: m.store(k(name), answer(std::string(rng() % 400, 'q')), 20s, now); break;
      case 1:
        if (auto hit = m.lookup(k(name), now)) CHECK_FALSE(hit.stale);
        break;
      default: m.erase(k(name));
    }
    auto s = m.stats();
    REQUIRE(s.bytes <= o.max_bytes);
    REQUIRE((s.entries == 0) == (s.bytes == 0));
  }
  m.clear();
  CHECK(m.stats().entries == 0);
  CHECK(m.stats().bytes == 0);
}

TEST_CASE("memory<multi_thread>: several threads share one cache safely", "[cache][memory]") {
  cache::memory_options o;
  o.max_bytes = 64 * 1024;
  cache::memory<sync::multi_thread> m(o);
  CHECK(m.options().shards == 16);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};  // Catch2 assertions are not thread-safe: count, check after
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, &wrong, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 2000; ++i) {
        auto name = std::to_string(rng() % 200);
        if (rng() % 2)
          m.store(k(name), answer("value of " + name), 1h, t0);
        else if (auto hit = m.lookup(k(name), t0); hit && hit.value->text() != "value of " + name)
          ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  auto s = m.stats();
  CHECK(s.hits + s.misses == 4 * 2000 - s.stores);
  CHECK(s.bytes <= o.max_bytes);
  CHECK(s.entries > 0);
}
