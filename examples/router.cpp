// router: routes generate() calls between two endpoints — the native Gemini API and an
// OpenAI-compatible chat-completions endpoint — with ordered failover, and prints which
// endpoint answered each call.
//
// Without GEMINI_API_KEY both endpoints are emulators started in-process on 127.0.0.1, and
// the primary one is made to fail (503, then a connection reset) so the failover shows.
// With GEMINI_API_KEY the endpoints are the real service: generateContent for the primary
// and Gemini's own OpenAI-compatible endpoint for the fallback.
//
//   router [number of calls]
#include <gemini/client.hpp>
#include <gemini/route/router.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>
#include <optional>

namespace asio = boost::asio;

struct routed : gemini::policies::defaults {
  using route = gemini::route::router<gemini::route::ordered_fallback>;
};
using routed_client = gemini::basic_client<routed>;

asio::awaitable<int> run(routed_client& client, int calls) {
  int failures = 0;
  for (int i = 0; i < calls; ++i) {
    gemini::wire::generate_content_request req;
    req.contents.push_back(gemini::wire::content::user("Question " + std::to_string(i + 1) +
                                                       ": name one prime number."));
    auto r = co_await client.generate(std::move(req));
    if (!r) {
      std::cout << "call " << i + 1 << ": error: " << r.error() << '\n';
      ++failures;
      continue;
    }
    auto const& ep = client.router().at(static_cast<std::size_t>(r->delivery.endpoint));
    std::cout << "call " << i + 1 << ": answered by " << ep.name << " ("
              << gemini::route::to_string(ep.provider) << ", " << ep.model << "), "
              << r->usage.total_token_count << " tokens: " << r->text().substr(0, 60) << '\n';
  }
  for (std::size_t i = 0; i < client.router().size(); ++i) {
    auto const& l = client.router().load(i);
    std::cout << client.router().at(i).name << ": " << l.calls << " calls, " << l.successes
              << " answered, " << l.failures << " failed\n";
  }
  co_return failures;
}

int main(int argc, char** argv) {
  int calls = argc > 1 ? std::atoi(argv[1]) : 4;
  auto opts = gemini::client_options::from_environment();
  std::optional<gemini::testing::emulator> primary_emu, fallback_emu;

  gemini::route::endpoint primary, fallback;
  primary.name = "primary";
  primary.provider = gemini::route::provider::gemini;
  primary.model = "gemini-2.5-flash";
  fallback.name = "fallback";
  fallback.provider = gemini::route::provider::openai;
  fallback.model = "gemini-2.5-flash-lite";
  if (opts.key.empty()) {
    primary_emu.emplace();
    fallback_emu.emplace();
    primary.base_url = primary_emu->base_url() + "/v1beta";
    fallback.base_url = fallback_emu->base_url() + "/v1beta/openai";
    primary.key = fallback.key = gemini::api_key("test-key");
    opts.base_url = primary.base_url;
    primary_emu->push_fault(gemini::testing::fault_kind::http_503);
    std::cout << "GEMINI_API_KEY is not set: routing between two embedded emulators ("
              << primary_emu->base_url() << " native, " << fallback_emu->base_url()
              << " OpenAI-compatible); the primary's first answer is a 503\n\n";
  } else {
    primary.base_url = opts.base_url;
    fallback.base_url = std::string(gemini::default_base_url) + "/openai";
  }

  asio::io_context ioc;
  routed_client client(ioc.get_executor(), opts);
  routed::route::options_type ro;
  ro.endpoints = {primary, fallback};
  client.router().reconfigure(ro);

  int failures = 0;
  asio::co_spawn(ioc, run(client, calls), [&](std::exception_ptr e, int f) {
    if (e) std::rethrow_exception(e);
    failures = f;
  });
  ioc.run();
  return failures == 0 ? 0 : 1;
}
