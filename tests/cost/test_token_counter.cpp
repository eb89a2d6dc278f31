// cost::token_counter: countTokens once per distinct prompt, the estimate when it fails,
// and call_options::prompt_tokens reserving by the count.
#include <gemini/budget/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/cost/token_counter.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;

namespace {

template <class P = policies::defaults>
basic_config<P> config_on(const gemini::testing::emulator& emu) {
  basic_config<P> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  return cfg;
}

generate_request ask(std::string text) {
  generate_request r;
  r.contents.push_back(content::user(std::move(text)));
  return r;
}

}  // namespace

TEST_CASE("token_counter: one countTokens call per distinct prompt", "[cost][tokens]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_client<> c(ioc.get_executor(), config_on(emu));
  cost::token_counter counter(c);

  auto a = run(ioc, counter.count(ask("How tall is Mont Blanc?")));
  REQUIRE(a);
  CHECK_FALSE(a->remembered);
  CHECK_FALSE(a->estimated);
  CHECK(a->tokens > 0);
  auto again = ask("How tall is Mont Blanc?");
  again.generation_config.emplace();
  again.generation_config->max_output_tokens = 10;  // does not change the count
  auto b = run(ioc, counter.count(again));
  REQUIRE(b);
  CHECK(b->remembered);
  CHECK(b->tokens == a->tokens);
  CHECK(emu.requests("countTokens") == 1);

  // A system instruction is counted too (the generateContentRequest form).
  auto with_system = ask("How tall is Mont Blanc?");
  with_system.system_instruction = content::system(std::string(4000, 's'));
  auto s = run(ioc, counter.count(with_system));
  REQUIRE(s);
  CHECK(s->tokens >= a->tokens + 1000);
  CHECK(emu.requests("countTokens") == 2);

  // Another model is another count.
  call_options pro;
  pro.model = "gemini-2.5-pro";
  REQUIRE(run(ioc, counter.count(ask("How tall is Mont Blanc?"), pro)));
  CHECK(emu.requests("countTokens") == 3);
  CHECK(counter.size() == 3);
}

TEST_CASE("token_counter: countTokens failing falls back to the estimate (or fails)",
          "[cost][tokens]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_client<> c(ioc.get_executor(), config_on(emu));
  SECTION("fall back") {
    cost::token_counter counter(c);
    emu.push_fault(gemini::testing::fault_kind::http_500);
    auto n = run(ioc, counter.count(ask(std::string(400, 'x'))));
    REQUIRE(n);
    CHECK(n->estimated);
    CHECK(n->tokens >= 100);
    CHECK(counter.stats().estimated == 1);
    CHECK(counter.size() == 0);  // an estimate is not remembered
  }
  SECTION("no fall back") {
    cost::token_counter_options o;
    o.fall_back = false;
    cost::token_counter counter(c, o);
    emu.push_fault(gemini::testing::fault_kind::http_500);
    auto n = run(ioc, counter.count(ask("x")));
    REQUIRE_FALSE(n);
    CHECK(n.error().code == errc::internal);
  }
}

TEST_CASE("token_counter: the oldest prompts are forgotten past max_entries", "[cost][tokens]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_client<> c(ioc.get_executor(), config_on(emu));
  cost::token_counter_options o;
  o.max_entries = 2;
  cost::token_counter counter(c, o);
  REQUIRE(run(ioc, counter.count(ask("one"))));
  REQUIRE(run(ioc, counter.count(ask("two"))));
  REQUIRE(run(ioc, counter.count(ask("one"))));    // "one" is the most recent now
  REQUIRE(run(ioc, counter.count(ask("three"))));  // "two" goes
  CHECK(counter.size() == 2);
  CHECK(run(ioc, counter.count(ask("one")))->remembered);
  CHECK_FALSE(run(ioc, counter.count(ask("two")))->remembered);
}

namespace {
struct budgeted : policies::defaults {
  using budget = gemini::budget::memory<>;
};
}  // namespace

TEST_CASE("call_options::prompt_tokens: the budget reserves by the counted prompt",
          "[cost][tokens][budget]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  auto cfg = config_on<budgeted>(emu);
  cost::money reserved;
  cfg.budget.limits = {{budget::window::day, 1e-12, 0}};  // every admission reports its amount
  cfg.budget.on_soft_limit = [&](const budget::soft_limit_event& e) {
    reserved = e.spent_and_reserved;
  };
  basic_client<budgeted> c(ioc.get_executor(), cfg);
  auto req = ask(std::string(2000, 'w'));
  req.generation_config.emplace();
  req.generation_config->max_output_tokens = 100;
  cost::token_counter counter(c);
  auto n = run(ioc, counter.count(req));
  REQUIRE(n);
  call_options o;
  o.prompt_tokens = n->tokens;
  REQUIRE(run(ioc, c.generate(req, o)));
  auto entry = cost::price_table::builtin().find("gemini-2.5-flash", cost::today_utc());
  REQUIRE(entry);
  // input at the audio rate (the dearer: the budget does not see the parts) + 100 output
  CHECK(reserved.pico() ==
        n->tokens * std::max(entry->standard.input, entry->standard.input_audio) +
            100 * entry->standard.output);
}
