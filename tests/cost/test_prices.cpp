// The price table and cost_of: golden costs over realistic usageMetadata shapes.
#include <gemini/cost/price_table.hpp>
#include <gemini/wire/accumulator.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace gemini;
using cost::money;

namespace {

wire::usage_metadata usage(std::int64_t prompt, std::int64_t candidates, std::int64_t thoughts = 0,
                           std::int64_t cached = 0) {
  wire::usage_metadata u;
  u.prompt_token_count = prompt;
  u.candidates_token_count = candidates;
  u.thoughts_token_count = thoughts;
  u.cached_content_token_count = cached;
  u.total_token_count = prompt + candidates + thoughts;
  return u;
}

cost::call_cost priced(const wire::usage_metadata& u, std::string_view model,
                       std::string_view date = "2026-12-01",
                       cost::service_tier tier = cost::service_tier::from_usage) {
  auto c = cost::cost_of(cost::price_table::builtin(), u, model, date, tier);
  INFO(c.error_or(gemini::error{}).message);
  REQUIRE(c);
  return *c;
}

constexpr std::int64_t pico_per_usd_per_mtok = 1'000'000;  // $1 / 1M tokens, per token

}  // namespace

TEST_CASE("the shipped price table parses and is the same as prices.json", "[cost][unit]") {
  std::ifstream in(GEMINI_PRICES_JSON);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == std::string(cost::builtin_prices_json));
  auto& t = cost::price_table::builtin();
  CHECK(t.prices().size() >= 15);
  CHECK_THAT(t.source(), Catch::Contains("ai.google.dev"));
  for (auto& p : t.prices()) {
    INFO(p.model);
    CHECK(p.standard.input >= 0);
    CHECK(p.standard.output >= 0);
  }
}

TEST_CASE("money: exact sums, dollars shown, micro-dollars rounded up", "[cost][unit]") {
  auto a = money::from_pico(300'000);  // one token at $0.30 / 1M
  money sum;
  for (int i = 0; i < 1'000'000; ++i) sum += a;
  CHECK(sum.pico() == 300'000'000'000);
  CHECK(sum.usd() == "$0.300000");
  CHECK(money::from_pico(1).micro_ceil() == 1);
  CHECK(money::from_pico(1'000'000).micro_ceil() == 1);
  CHECK(money::from_pico(1'000'001).micro_ceil() == 2);
  CHECK(money::from_pico(842'500'000).usd() == "$0.000843");  // half up
  CHECK(money::from_pico(842'499'999).usd() == "$0.000842");
  CHECK(money::from_micro(-1'500'000).usd(2) == "-$1.50");
  CHECK(money::from_micro(12).usd(0) == "$0");
}

TEST_CASE("cost_of: a plain call", "[cost][golden]") {
  auto c = priced(usage(1000, 500), "gemini-2.5-flash");
  CHECK(c.input.pico() == std::int64_t{1000} * 300'000);    // $0.30 / 1M
  CHECK(c.output.pico() == std::int64_t{500} * 2'500'000);  // $2.50 / 1M
  CHECK(c.cached_input.pico() == 0);
  CHECK(c.total.pico() == 300'000'000 + 1'250'000'000);
  CHECK(c.total.usd() == "$0.001550");
  CHECK(c.model == "gemini-2.5-flash");
  CHECK_FALSE(c.long_prompt);
}

TEST_CASE("cost_of: a context-cache hit (cached tokens are inside promptTokenCount)",
          "[cost][golden]") {
  auto c = priced(usage(10'000, 200, 0, 8'000), "gemini-2.5-flash");
  CHECK(c.input.pico() == std::int64_t{2'000} * 300'000);
  CHECK(c.cached_input.pico() == std::int64_t{8'000} * 30'000);  // $0.03 / 1M
  CHECK(c.output.pico() == std::int64_t{200} * 2'500'000);
}

TEST_CASE("cost_of: thinking tokens are billed as output", "[cost][golden]") {
  auto c = priced(usage(50, 100, 900), "gemini-2.5-pro");
  CHECK(c.output.pico() == std::int64_t{1'000} * 10 * pico_per_usd_per_mtok);
  CHECK(c.input.pico() == std::int64_t{50} * 1'250'000);
}

TEST_CASE("cost_of: past 200k prompt tokens the whole request moves to the higher price",
          "[cost][golden]") {
  auto at = priced(usage(200'000, 1'000), "gemini-2.5-pro");
  CHECK_FALSE(at.long_prompt);
  CHECK(at.input.pico() == std::int64_t{200'000} * 1'250'000);
  CHECK(at.output.pico() == std::int64_t{1'000} * 10 * pico_per_usd_per_mtok);
  auto over = priced(usage(250'000, 1'000, 0, 50'000), "gemini-2.5-pro");
  CHECK(over.long_prompt);
  CHECK(over.input.pico() == std::int64_t{200'000} * 2'500'000);
  CHECK(over.cached_input.pico() == std::int64_t{50'000} * 250'000);
  CHECK(over.output.pico() == std::int64_t{1'000} * 15 * pico_per_usd_per_mtok);
}

TEST_CASE("cost_of: a missing candidatesTokenCount", "[cost][golden]") {
  // MAX_TOKENS reached while thinking: no candidatesTokenCount at all; total = prompt + thoughts.
  wire::usage_metadata u;
  u.prompt_token_count = 100;
  u.thoughts_token_count = 50;
  u.total_token_count = 150;
  auto c = priced(u, "gemini-2.5-flash");
  CHECK(c.output.pico() == std::int64_t{50} * 2'500'000);
  // Absent, but the total says there was visible output: derived from it.
  u.total_token_count = 180;
  CHECK(priced(u, "gemini-2.5-flash").output.pico() == std::int64_t{80} * 2'500'000);
}

TEST_CASE("cost_of: a stream's cumulative usage is counted once", "[cost][golden]") {
  wire::response_accumulator acc;
  for (auto [cand, total] : {std::pair{5, 105}, {40, 140}, {120, 220}}) {
    wire::generate_content_response chunk;
    chunk.usage = usage(100, cand);
    chunk.usage.total_token_count = total;
    chunk.model_version = "gemini-2.5-flash";
    acc.add(std::move(chunk));
  }
  auto c = priced(acc.response().usage, acc.response().model_version);
  CHECK(c.output.pico() ==
        std::int64_t{120} * 2'500'000);  // the last running total, not 5 + 40 + 120
  CHECK(c.input.pico() == std::int64_t{100} * 300'000);
}

TEST_CASE("cost_of: audio at its own rate, also when cached", "[cost][golden]") {
  auto u = usage(1'000, 10, 0, 500);
  u.prompt_tokens_details = {{wire::modality::audio, 400, {}}, {wire::modality::text, 600, {}}};
  u.cache_tokens_details = {{wire::modality::audio, 100, {}}, {wire::modality::text, 400, {}}};
  auto c = priced(u, "gemini-2.5-flash");
  // uncached: 500, of which audio 300; cached: 500, of which audio 100
  CHECK(c.input.pico() == std::int64_t{200} * 300'000 + std::int64_t{300} * 1'000'000);
  CHECK(c.cached_input.pico() == std::int64_t{400} * 30'000 + std::int64_t{100} * 100'000);
}

TEST_CASE("cost_of: tool-use prompt tokens are input", "[cost][golden]") {
  auto u = usage(100, 10);
  u.tool_use_prompt_token_count = 40;
  u.total_token_count = 150;
  auto c = priced(u, "gemini-2.5-flash");
  CHECK(c.input.pico() == std::int64_t{140} * 300'000);
  CHECK(c.output.pico() == std::int64_t{10} * 2'500'000);
}

TEST_CASE("cost_of: priced by the answering model, aliases resolved, dated entries",
          "[cost][golden]") {
  auto u = usage(1'000'000, 0);
  CHECK(priced(u, "models/gemini-2.5-flash").input.usd() == "$0.300000");
  CHECK(priced(u, "gemini-flash-latest").model == "gemini-3.5-flash");
  CHECK(priced(u, "gemini-3.6-flash", "2026-12-31").input.usd() == "$0.750000");
  CHECK(priced(u, "gemini-3.6-flash", "2027-01-01").input.usd() == "$1.500000");
  CHECK(priced(u, "gemini-3.6-flash", "2027-01-01").effective_from == "2027-01-01");
}

TEST_CASE("cost_of: an unpriced model is an error, never zero", "[cost][golden]") {
  auto c =
      cost::cost_of(cost::price_table::builtin(), usage(10, 10), "gemini-9-ultra", "2026-12-01");
  REQUIRE_FALSE(c);
  CHECK(c.error().code == errc::not_found);
  CHECK_THAT(c.error().message, Catch::Contains("gemini-9-ultra") && Catch::Contains("unpriced"));
  CHECK_FALSE(cost::worst_case(cost::price_table::builtin(), "nope", "2026-12-01", 1, 1));
}

TEST_CASE("cost_of: flex and batch calls get their discount", "[cost][golden]") {
  auto u = usage(1'000, 1'000);
  u.service_tier = "FLEX";
  auto flex = priced(u, "gemini-2.5-flash");
  CHECK(flex.discount_percent == 50);
  CHECK(flex.total.pico() == (std::int64_t{1'000} * 300'000 + std::int64_t{1'000} * 2'500'000) / 2);
  u.service_tier.clear();
  auto batch = priced(u, "gemini-2.5-flash", "2026-12-01", cost::service_tier::batch);
  CHECK(batch.total == flex.total);
  CHECK(priced(u, "gemini-2.5-flash").discount_percent == 0);
}

TEST_CASE("worst_case: input at the input rate, max output at the output rate", "[cost][unit]") {
  auto& t = cost::price_table::builtin();
  auto w = cost::worst_case(t, "gemini-2.5-pro", "2026-12-01", 1'000, 8'192);
  REQUIRE(w);
  CHECK(w->pico() ==
        std::int64_t{1'000} * 1'250'000 + std::int64_t{8'192} * 10 * pico_per_usd_per_mtok);
  auto big = cost::worst_case(t, "gemini-2.5-pro", "2026-12-01", 300'000, 0);
  CHECK(big->pico() == std::int64_t{300'000} * 2'500'000);
  auto audio = cost::worst_case(t, "gemini-2.5-flash", "2026-12-01", 10, 0);
  CHECK(audio->pico() == std::int64_t{10} * 1'000'000);  // the dearer of text and audio input
}

TEST_CASE("price tables: loaded at run time, overridden, every bad field named", "[cost][unit]") {
  auto t = cost::price_table::from_json(R"({
    "models": [{"model": "my-model", "input": 1, "output": 2, "checked": "2026-11-30"}],
    "aliases": {"mine": "my-model"}
  })");
  REQUIRE(t);
  auto c = cost::cost_of(*t, usage(1'000'000, 1'000'000), "mine", "2026-12-01");
  REQUIRE(c);
  CHECK(c->total.usd() == "$3.000000");
  cost::model_price cheaper;
  cheaper.model = "my-model";
  cheaper.standard.input = 500'000;  // pico-dollars a token: $0.50 / 1M
  cheaper.standard.output = 0;
  t->set(cheaper);
  CHECK(cost::cost_of(*t, usage(1'000'000, 0), "my-model", "2026-12-01")->total.usd() ==
        "$0.500000");

  auto bad = cost::price_table::from_json(R"({
    "models": [
      {"model": "a", "input": -1, "output": 2},
      {"model": "b", "output": "free", "from": "2026/01/01"},
      {"model": "c", "input": 1, "output": 1, "colour": "red"},
      {"model": "c", "input": 1, "output": 1},
      {"input": 1, "output": 1, "long_prompt": {"above": 0, "input": 1, "output": 1}}
    ],
    "discounts": {"flex_percent": 150}
  })");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::bad_configuration);
  auto& m = bad.error().message;
  CHECK_THAT(m, Catch::Contains("prices.models[0] (a).input: expected a price"));
  CHECK_THAT(m, Catch::Contains("prices.models[1] (b).input: missing"));
  CHECK_THAT(m, Catch::Contains("prices.models[1] (b).output: expected a number"));
  CHECK_THAT(m, Catch::Contains("prices.models[1] (b).from: expected a date"));
  CHECK_THAT(m, Catch::Contains("prices.models[2] (c).colour: unknown field"));
  CHECK_THAT(m, Catch::Contains("prices.models[3] (c): a second entry"));
  CHECK_THAT(m, Catch::Contains("prices.models[4].model: missing"));
  CHECK_THAT(m, Catch::Contains("long_prompt.above: expected a positive token count"));
  CHECK_THAT(m, Catch::Contains("prices.discounts.flex_percent"));
  CHECK(cost::price_table::from_json("{nope").error().code == errc::bad_json);
  CHECK(cost::price_table::from_file("/nonexistent/prices.json").error().code ==
        errc::bad_configuration);
}
