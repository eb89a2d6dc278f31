#include "odr.hpp"

#include <gemini/testing/emulator.hpp>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

// Every non-template member of the production bundle's client, compiled here.
template class gemini::detail::client_impl<gemini::detail::slots_of<gemini::policies::production>>;

namespace gemini::test {
gemini::result<gemini::generate_response> generate_from_b(gemini::client& c,
                                                          boost::asio::io_context& ioc,
                                                          std::string prompt) {
  return run(ioc, c.generate(std::string_view(prompt)));
}
}  // namespace gemini::test

namespace {
struct same_choices : gemini::policies::defaults {
  using cache = gemini::cache::memory<>;
  using limit = gemini::limit::token_bucket;
  using breaker = gemini::breaker::consecutive_failures;
  using retry = gemini::retry::exponential;
  using route = gemini::route::router<gemini::route::ordered_fallback>;
};
}  // namespace

TEST_CASE("one client type in two TUs, linked together", "[odr]") {
  static_assert(std::is_same_v<gemini::basic_client<same_choices>, gemini::test::production_client>,
                "bundles with the same choices are the same client type");
  gemini::testing::emulator emu;
  boost::asio::io_context ioc;
  gemini::basic_config<gemini::policies::production> cfg;
  cfg.client.key = gemini::api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  gemini::route::endpoint ep;
  ep.name = "only";
  ep.base_url = cfg.client.base_url;
  cfg.route.endpoints.push_back(ep);
  gemini::basic_client<same_choices> production(ioc.get_executor(), cfg);
  gemini::client plain(ioc.get_executor(), cfg.client);

  // Each TU's function on the other's objects, and the same call here.
  auto a = gemini::test::generate_from_a(production, ioc, "same prompt");
  auto b = gemini::test::generate_from_b(plain, ioc, "same prompt");
  auto here = gemini::test::run(ioc, plain.generate("same prompt"));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(here);
  CHECK(a->text() == b->text());
  CHECK(b->text() == here->text());
  CHECK(emu.requests("generateContent") == 3);
}
