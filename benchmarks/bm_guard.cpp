// The guard and the audit log: screening a 1 KB prompt (guard::standard::inspect with the
// default policy: invisible characters, injection heuristics, every PII kind, masking) and
// its parts; audit records appended per second to a local file (the writer thread encrypts,
// MACs and writes; the producer is held back by the bounded queue, so the rate is the
// writer's). Goals (#19): screening <= 10 us, audit >= 50,000 records/s.
#include <gemini/audit/log.hpp>
#include <gemini/guard/standard.hpp>

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <string>

namespace {

/// About 1 KB of support-ticket prose with two e-mail addresses, a phone number and a card.
std::string prompt_1k() {
  std::string s =
      "Hello, I am writing about my order from last week. The parcel arrived late and the box "
      "was damaged, so two of the glasses inside were broken. I have attached photos of the "
      "damage. Could you please send replacements or refund the cost? My account e-mail is "
      "maria.lopez@example.com and you can also reach my partner at j.smith@example.org if I "
      "am not available. The best phone number is +44 20 7946 0958 between nine and five. I "
      "paid with the card ending 1111 (the full number was 4111 1111 1111 1111, in case you "
      "need it to find the payment). I would also like to know whether you ship to Ireland, "
      "because my sister wants to order the same set for her new flat in Dublin. She asked if "
      "the blue colour is still in stock and how long delivery usually takes there. Finally, "
      "the tracking page showed the wrong address for two days, which was confusing; please "
      "check that my address is stored correctly. Thank you for your help, and have a good "
      "day. Kind regards, Maria. P.S. The invoice number is INV-2024-00042 from 12.05.2024.";
  while (s.size() < 1024) s += " Thanks again.";
  return s.substr(0, 1024);
}

void BM_screen_1k(benchmark::State& state) {
  gemini::guard::standard g;
  gemini::wire::generate_content_request req;
  req.contents.push_back(gemini::wire::content::user(prompt_1k()));
  gemini::guard::call_info info{"acme", "u1", "gemini-2.5-flash", false};
  for (auto _ : state) {
    auto r = req;
    gemini::guard::standard::state st;
    auto e = g.inspect(r, st, info);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1024);
}
BENCHMARK(BM_screen_1k);

/// The baseline of the one above: copying the request and a fresh state.
void BM_copy_request_1k(benchmark::State& state) {
  gemini::wire::generate_content_request req;
  req.contents.push_back(gemini::wire::content::user(prompt_1k()));
  for (auto _ : state) {
    auto r = req;
    gemini::guard::standard::state st;
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_copy_request_1k);

void BM_find_pii_1k(benchmark::State& state) {
  std::string p = prompt_1k();
  std::vector<gemini::guard::pii_match> out;
  for (auto _ : state) {
    out.clear();
    gemini::guard::find_pii(p, gemini::guard::pii_kinds::all(), out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_find_pii_1k);

void BM_injection_1k(benchmark::State& state) {
  std::string p = prompt_1k();
  for (auto _ : state) benchmark::DoNotOptimize(gemini::guard::screen_injection(p));
}
BENCHMARK(BM_injection_1k);

void BM_audit_append(benchmark::State& state) {
  char dir[] = "/tmp/gemini-bm-audit-XXXXXX";
  std::filesystem::path d = ::mkdtemp(dir);
  gemini::audit::log_options o;
  o.path = (d / "audit.log").string();
  auto log = gemini::audit::log::open(o, gemini::audit::keyring::generate("k1").value()).value();
  gemini::audit::record r;
  r.tenant = "acme";
  r.user = "u1";
  r.model = "gemini-2.5-flash";
  r.request_id = "0123456789abcdef0123456789abcdef";
  r.outcome = "ok";
  r.flags = {"pii:EMAIL"};
  r.prompt = prompt_1k().substr(0, 400);
  r.sanitized = r.prompt;
  r.response = "Thank you, the replacement is on its way.";
  for (auto _ : state) {
    if (log->append(r)) state.SkipWithError("append failed");
  }
  if (log->flush()) state.SkipWithError("flush failed");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  log.reset();
  std::filesystem::remove_all(d);
}
BENCHMARK(BM_audit_append)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
