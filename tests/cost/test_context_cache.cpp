// Explicit context caches: the cachedContents calls against the emulator, and
// gemini::context_cache creating, using, refreshing and deleting them when they pay.
#include <gemini/client.hpp>
#include <gemini/context_cache.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using cost::money;
using gemini::test::run;

namespace {

client_options on(const gemini::testing::emulator& emu) {
  client_options o;
  o.key = api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  o.model = "gemini-2.5-flash";
  return o;
}

/// A system instruction of about `tokens` tokens (4 bytes each).
wire::content manual(std::size_t tokens) {
  std::string text = "You answer questions about the following product manual.\n\n";
  for (std::size_t i = 0; text.size() < tokens * 4; ++i)
    text += "Section " + std::to_string(i) + ": the device must be kept dry and cool. ";
  return wire::content::system(text);
}

generate_request question(std::size_t manual_tokens, int i) {
  generate_request r;
  r.system_instruction = manual(manual_tokens);
  r.contents.push_back(content::user("Question " + std::to_string(i) + ": how do I clean it?"));
  return r;
}

/// The built-in prices, with the storage price of gemini-2.5-flash's explicit caches
/// (USD 1.00 per million tokens per hour; the built-in table does not quote it).
std::shared_ptr<const cost::price_table> prices() {
  static const auto t = [] {
    auto p = std::make_shared<cost::price_table>(cost::price_table::builtin());
    auto flash = *p->find("gemini-2.5-flash", cost::today_utc());
    flash.cache_storage_per_hour = 1'000'000;
    p->set(flash);
    return p;
  }();
  return t;
}

context_cache_options opts(std::chrono::seconds ttl) {
  context_cache_options o;
  o.ttl = ttl;
  o.prices = prices();
  return o;
}

money cost_of(const generate_response& r) {
  auto c = cost::cost_of(*prices(), r.usage, r.model_version, cost::today_utc());
  REQUIRE(c);
  return c->total;
}

}  // namespace

TEST_CASE("cachedContents: create, get, list, use, update the TTL, delete", "[cache][context]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), on(emu));

  wire::cached_content small;
  small.system_instruction = wire::content::system("too short to cache");
  auto refused = run(ioc, c.create_cached_content(small));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::invalid_argument);
  CHECK_THAT(refused.error().message, Catch::Contains("too small"));

  wire::cached_content big;
  big.system_instruction = manual(3000);
  big.ttl = "600s";
  auto made = run(ioc, c.create_cached_content(big));
  REQUIRE(made);
  CHECK(made->name.starts_with("cachedContents/"));
  CHECK(made->model == "models/gemini-2.5-flash");
  REQUIRE(made->usage_metadata);
  const auto cached_tokens = made->usage_metadata->total_token_count;
  CHECK(cached_tokens >= 3000);
  CHECK_FALSE(made->expire_time.empty());

  auto got = run(ioc, c.get_cached_content(made->name));
  REQUIRE(got);
  CHECK(got->name == made->name);
  auto listed = run(ioc, c.list_cached_contents());
  REQUIRE(listed);
  REQUIRE(listed->cached_contents.size() == 1);
  CHECK(listed->cached_contents[0].name == made->name);

  generate_request q;
  q.contents.push_back(content::user("How do I clean it?"));
  q.cached_content = made->name;
  auto answer = run(ioc, c.generate(q));
  REQUIRE(answer);
  CHECK(answer->usage.cached_content_token_count == cached_tokens);
  CHECK(answer->usage.prompt_token_count > cached_tokens);  // includes the cached tokens
  auto both = q;
  both.system_instruction = wire::content::system("again");
  auto clash = run(ioc, c.generate(both));
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == errc::invalid_argument);

  auto longer = run(ioc, c.update_cached_content_ttl(made->name, 3600s));
  REQUIRE(longer);
  CHECK(longer->expire_time > made->expire_time);  // RFC 3339 UTC: orders as text

  REQUIRE(run(ioc, c.delete_cached_content(made->name)));
  auto after = run(ioc, c.get_cached_content(made->name));
  REQUIRE_FALSE(after);
  CHECK(after.error().code == errc::permission_denied);
  auto gone = run(ioc, c.generate(q));
  REQUIRE_FALSE(gone);
  CHECK_THAT(gone.error().message, Catch::Contains("CachedContent"));

  const auto before = emu.requests();
  auto bad = run(ioc, c.get_cached_content("cachedContents/../models"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
  CHECK(emu.requests() == before);  // refused before anything was sent
}

TEST_CASE("context_cache: the cost of 20 calls with and without it", "[cache][context]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), on(emu));
  constexpr int n = 20;
  constexpr std::size_t manual_tokens = 6000;

  money without;
  for (int i = 0; i < n; ++i) {
    auto r = run(ioc, c.generate(question(manual_tokens, i)));
    REQUIRE(r);
    CHECK(r->usage.cached_content_token_count == 0);
    without += cost_of(*r);
  }

  emu.reset_counters();
  context_cache cc(c, opts(10min));
  money with;
  for (int i = 0; i < n; ++i) {
    auto r = run(ioc, cc.generate(question(manual_tokens, i)));
    REQUIRE(r);
    with += cost_of(*r);
  }
  auto s = cc.stats();
  CHECK(emu.requests("cachedContents.create") == 1);
  CHECK(s.created == 1);
  CHECK(s.hits == n - 1);  // the first call showed the prefix once: not cached yet
  CHECK_THAT(emu.last_request().body,
             Catch::Contains("cachedContent") && !Catch::Contains("systemInstruction"));
  // What the cache itself cost: its creation (billed as input) and its storage for its
  // whole TTL (an upper bound of what it will cost).
  auto entry = prices()->find("gemini-2.5-flash", cost::today_utc());
  REQUIRE(entry);
  const auto tokens = s.creation.pico() / entry->standard.input;
  const auto storage_ttl = money::from_pico(tokens * entry->cache_storage_per_hour / 6);  // 10 min
  const money total_with = with + s.creation + storage_ttl;
  WARN("20 calls with a " << tokens << "-token system instruction: " << without.usd()
                          << " without a cache, " << total_with.usd() << " with one (" << with.usd()
                          << " calls + " << s.creation.usd() << " creation + " << storage_ttl.usd()
                          << " storage for 10 min)");
  CHECK(total_with < without);
  CHECK(s.storage <= storage_ttl);

  auto closed = run(ioc, cc.close());
  REQUIRE(closed);
  CHECK(cc.stats().deleted == 1);
  auto listed = run(ioc, c.list_cached_contents());
  REQUIRE(listed);
  CHECK(listed->cached_contents.empty());
}

TEST_CASE("context_cache: nothing is cached that does not pay", "[cache][context]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), on(emu));
  SECTION("a prefix seen once") {
    context_cache cc(c, opts(10min));
    REQUIRE(run(ioc, cc.generate(question(6000, 0))));
    CHECK(cc.stats().created == 0);
  }
  SECTION("a prefix under the model's minimum") {
    context_cache cc(c, opts(10min));
    for (int i = 0; i < 5; ++i) REQUIRE(run(ioc, cc.generate(question(500, i))));
    CHECK(cc.stats().created == 0);
    CHECK(cc.stats().not_worth == 1);
  }
  SECTION("storage for a day costs more than three uses save") {
    context_cache cc(c, opts(24h));
    for (int i = 0; i < 3; ++i) REQUIRE(run(ioc, cc.generate(question(6000, i))));
    CHECK(cc.stats().created == 0);
    CHECK(cc.stats().not_worth == 1);
  }
  SECTION("no storage price: it cannot be shown to pay") {
    context_cache cc(c);  // the built-in table: no storage price for gemini-2.5-flash
    for (int i = 0; i < 5; ++i) REQUIRE(run(ioc, cc.generate(question(6000, i))));
    CHECK(cc.stats().created == 0);
    CHECK(cc.stats().not_worth == 1);
  }
  SECTION("no prefix at all") {
    context_cache cc(c, opts(10min));
    generate_request plain;
    plain.contents.push_back(content::user("a plain prompt"));
    for (int i = 0; i < 3; ++i) REQUIRE(run(ioc, cc.generate(plain)));
    CHECK(cc.stats().created == 0);
  }
  CHECK(emu.requests("cachedContents.create") == 0);
}

TEST_CASE("context_cache: a cache deleted elsewhere, refreshed while used", "[cache][context]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  client c(ioc.get_executor(), on(emu));
  auto now = std::chrono::system_clock::now();
  auto o = opts(10min);
  o.clock = [&] { return now; };
  context_cache cc(c, o);
  REQUIRE(run(ioc, cc.generate(question(3000, 0))));
  REQUIRE(run(ioc, cc.generate(question(3000, 1))));
  REQUIRE(cc.stats().created == 1);

  SECTION("deleted behind its back: the call is sent whole, then a new cache is made") {
    auto listed = run(ioc, c.list_cached_contents());
    REQUIRE(listed);
    REQUIRE(listed->cached_contents.size() == 1);
    REQUIRE(run(ioc, c.delete_cached_content(listed->cached_contents[0].name)));
    auto r = run(ioc, cc.generate(question(3000, 2)));
    REQUIRE(r);
    CHECK(cc.stats().fallbacks == 1);
    CHECK(r->usage.cached_content_token_count == 0);
    REQUIRE(run(ioc, cc.generate(question(3000, 3))));
    CHECK(cc.stats().created == 2);
  }
  SECTION("past half its TTL, a use extends it") {
    now += 6min;
    REQUIRE(run(ioc, cc.generate(question(3000, 2))));
    CHECK(cc.stats().refreshed == 1);
    CHECK(emu.requests("cachedContents.patch") == 1);
    now += 1min;
    REQUIRE(run(ioc, cc.generate(question(3000, 3))));
    CHECK(cc.stats().refreshed == 1);  // 9 min left: not yet
  }
  REQUIRE(run(ioc, cc.close()));
}
