// Jobs through queue::processor (memory backend) against the same calls made directly,
// with a transport that answers at once (benchmarks/fixed_transport.hpp): the difference
// per call is the queue's overhead per job (#20: <= 1 us). 96 jobs per iteration, all
// submitted at once (on_done sees each end), through one lane of 8 workers; the direct baseline
// makes the same calls from 8 coroutines, so both sides have 8 calls in flight.
#include <gemini/client.hpp>
#include <gemini/queue/processor.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "fixed_transport.hpp"

namespace asio = boost::asio;

namespace {

struct fixed : gemini::policies::defaults {
  using transport = gemini::bench::fixed_transport;
};
using client_t = gemini::basic_client<fixed>;

gemini::client_options opts() {
  gemini::client_options o;
  o.key = gemini::api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.model = "gemini-2.5-flash";
  return o;
}

gemini::wire::generate_content_request request() {
  gemini::wire::generate_content_request r;
  r.contents.push_back(gemini::wire::content::user("Summarise the attached ticket in one line."));
  return r;
}

constexpr int jobs = 100, width = 8;

void BM_direct_calls(benchmark::State& state) {
  asio::io_context ioc;
  client_t c(ioc.get_executor(), opts());
  const auto req = request();
  std::size_t failures = 0;
  gemini::bench::drive(
      state, ioc,
      [&]() -> asio::awaitable<void> {
        // `width` loops of jobs/width calls each, as the processor's workers would run them.
        for (int w = 0; w < width; ++w)
          asio::co_spawn(ioc, gemini::bench::client_loop(&c, &req, &failures, jobs / width),
                         asio::detached);
        co_return;
      },
      jobs / width * width);
  if (failures) state.SkipWithError("a call failed");
}
BENCHMARK(BM_direct_calls);

void BM_queue_jobs(benchmark::State& state) {
  asio::io_context ioc;
  client_t c(ioc.get_executor(), opts());
  gemini::queue::processor_options o;
  o.lanes = {{"only", width, 1}};
  o.result_ttl = std::chrono::seconds(0);  // results are taken in on_done: none kept
  std::size_t failures = 0;
  o.on_done = [&](const gemini::queue::job_result& r) {
    if (r.state != gemini::queue::job_state::succeeded) ++failures;
  };
  gemini::queue::processor<client_t> p(c, o);
  const auto req = request();
  gemini::bench::drive(
      state, ioc,
      [&]() -> asio::awaitable<void> {
        // Submitted at once; the io_context runs until every job ended (on_done counts).
        for (int i = 0; i < jobs / width * width; ++i) {
          gemini::queue::job j;
          j.request = req;
          if (!p.try_submit(std::move(j))) ++failures;
        }
        co_return;
      },
      jobs / width * width);
  if (failures) state.SkipWithError("a job failed");
}
BENCHMARK(BM_queue_jobs);

}  // namespace

BENCHMARK_MAIN();
