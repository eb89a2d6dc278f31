// cost: runs a batch of prompts for two tenants under a daily budget, prices every answer
// from its usageMetadata (the model that answered, the shipped price table) and prints a
// cost report per tenant and model. The budget is small enough that tenant "beta" reaches
// its hard limit and the rest of its calls are refused (errc::budget_exceeded).
//
// Without GEMINI_API_KEY the calls go to the embedded emulator on 127.0.0.1; with it, to
// the real service (and cost real money: a few thousandths of a dollar).
//
//   cost [prompts per tenant]
#include <gemini/budget/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/cost/price_table.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace asio = boost::asio;

struct budgeted : gemini::policies::defaults {
  using budget = gemini::budget::memory<>;
};
using client_t = gemini::basic_client<budgeted>;

struct line {
  int calls = 0;
  std::int64_t input_tokens = 0, output_tokens = 0;
  gemini::cost::money cost;
};

asio::awaitable<int> run(client_t& client, int prompts) {
  const auto& prices = gemini::cost::price_table::builtin();
  const auto today = gemini::cost::today_utc();
  std::map<std::pair<std::string, std::string>, line> report;  // (tenant, model)
  std::map<std::string, int> refused;
  int errors = 0;
  const char* models[] = {"gemini-2.5-flash", "gemini-2.5-flash-lite"};
  for (int i = 0; i < prompts; ++i) {
    for (std::string tenant : {"alpha", "beta"}) {
      gemini::call_options o;
      o.tenant = tenant;
      o.model = models[i % 2];
      gemini::generate_request req;
      req.contents.push_back(gemini::content::user("Prompt " + std::to_string(i + 1) + " for " +
                                                   tenant + ": summarise why the sky is blue."));
      req.generation_config.emplace();
      req.generation_config->max_output_tokens = tenant == "beta" ? 2048 : 256;
      auto r = co_await client.generate(std::move(req), o);
      if (!r) {
        if (r.error().code == gemini::errc::budget_exceeded) {
          if (refused[tenant]++ == 0) std::cout << tenant << ": " << r.error().message << '\n';
        } else {
          std::cout << tenant << ": error: " << r.error() << '\n';
          ++errors;
        }
        continue;
      }
      auto model = r->model_version.empty() ? std::string(o.model) : r->model_version;
      auto c = gemini::cost::cost_of(prices, r->usage, model, today);
      auto& l = report[{tenant, model}];
      ++l.calls;
      l.input_tokens += r->usage.prompt_token_count;
      l.output_tokens += r->usage.candidates_token_count + r->usage.thoughts_token_count;
      if (c)
        l.cost += c->total;
      else
        std::cout << tenant << ": " << c.error().message << '\n';
    }
  }
  std::cout << "\n"
            << std::left << std::setw(8) << "tenant" << std::setw(24) << "model" << std::right
            << std::setw(6) << "calls" << std::setw(10) << "input" << std::setw(10) << "output"
            << std::setw(14) << "cost" << '\n';
  std::map<std::string, gemini::cost::money> per_tenant;
  for (auto& [k, l] : report) {
    std::cout << std::left << std::setw(8) << k.first << std::setw(24) << k.second << std::right
              << std::setw(6) << l.calls << std::setw(10) << l.input_tokens << std::setw(10)
              << l.output_tokens << std::setw(14) << l.cost.usd() << '\n';
    per_tenant[k.first] += l.cost;
  }
  for (auto& [tenant, total] : per_tenant)
    std::cout << tenant << ": " << total.usd() << " spent today (the budget counted "
              << client.budget().spent(tenant).usd()
              << "), calls refused by its budget: " << refused[tenant] << '\n';
  co_return errors;
}

int main(int argc, char** argv) {
  int prompts = argc > 1 ? std::atoi(argv[1]) : 6;
  gemini::basic_config<budgeted> cfg;
  std::optional<gemini::testing::emulator> emu;
  if (cfg.client.key.empty()) {
    emu.emplace();
    cfg.client.key = gemini::api_key("test-key");
    cfg.client.base_url = emu->base_url() + "/v1beta";
    std::cout << "GEMINI_API_KEY is not set: calling the embedded emulator at " << emu->base_url()
              << "\n\n";
  }
  cfg.client.model = "gemini-2.5-flash";
  // Half a cent a day for each tenant. A call reserves its worst case: alpha asks for at
  // most 256 output tokens (about $0.0007 reserved on gemini-2.5-flash), beta for 2048
  // (about $0.0052): beta's calls fit only while less than $0.0003 is spent, so after a
  // few answers the rest of them are refused.
  cfg.budget.by = gemini::budget::budget_key::tenant;
  cfg.budget.limits = {{gemini::budget::window::day, 0.004, 0.0055}};
  cfg.budget.on_soft_limit = [](const gemini::budget::soft_limit_event& e) {
    std::cout << e.key << ": soft limit of " << e.soft_limit.usd() << " a "
              << gemini::budget::to_string(e.per) << " passed (" << e.spent_and_reserved.usd()
              << " spent and reserved)\n";
  };
  asio::io_context ioc;
  client_t client(ioc.get_executor(), std::move(cfg));
  int errors = 0;
  asio::co_spawn(ioc, run(client, prompts), [&](std::exception_ptr e, int n) {
    if (e) std::rethrow_exception(e);
    errors = n;
  });
  ioc.run();
  return errors == 0 ? 0 : 1;
}
