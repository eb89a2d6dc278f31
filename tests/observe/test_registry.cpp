// observe::registry: counters, gauges, histograms, the cardinality bound, threads.
#include <gemini/observe/registry.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace gemini::observe;

namespace {
metric_options opts(std::string name, std::vector<std::string> labels,
                    std::vector<double> buckets = {}, std::size_t max = 500) {
  metric_options o;
  o.name = std::move(name);
  o.labels = std::move(labels);
  o.buckets = std::move(buckets);
  o.max_series = max;
  return o;
}
}  // namespace

TEST_CASE("registry: a counter adds per label set", "[observe][unit]") {
  registry reg;
  auto& c = reg.counter(opts("calls", {"model", "outcome"}));
  c.add({"flash", "ok"}, 1);
  c.add({"flash", "ok"}, 2);
  c.add({"pro", "ok"}, 1);
  CHECK(c.at({"flash", "ok"}).total(0) == 3);
  CHECK(c.at({"pro", "ok"}).total(0) == 1);
  CHECK(&c.at({"flash", "ok"}) == &c.at({"flash", "ok"}));  // found again, not made again
  int n = 0;
  c.each([&](const series&) { ++n; });
  CHECK(n == 2);
  // ("ab", "c") and ("a", "bc") are different label sets.
  c.add({"ab", "c"}, 1);
  c.add({"a", "bc"}, 5);
  CHECK(c.at({"ab", "c"}).total(0) == 1);
}

TEST_CASE("registry: a histogram counts per bucket, sums and counts", "[observe][unit]") {
  registry reg;
  auto& h = reg.histogram(opts("d", {"m"}, {0.1, 1, 10}));
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) h.observe({"x"}, v);
  auto& s = h.at({"x"});
  CHECK(s.total(0) == 5);              // count
  CHECK(s.total(1) == Approx(55.65));  // sum
  CHECK(s.total(2) == 2);              // <= 0.1 (le is inclusive)
  CHECK(s.total(3) == 1);              // (0.1, 1]
  CHECK(s.total(4) == 1);              // (1, 10]
  CHECK(s.total(5) == 1);              // +Inf
}

TEST_CASE("registry: past max_series, records go to _other", "[observe][unit]") {
  registry reg;
  auto& c = reg.counter(opts("cost", {"tenant"}, {}, 3));
  for (int i = 0; i < 10; ++i) c.add({std::to_string(i)}, 1);
  int n = 0;
  double other = 0;
  c.each([&](const series& s) {
    ++n;
    if (s.values()[0] == "_other") other = s.total(0);
  });
  CHECK(n == 4);  // three tenants and _other
  CHECK(other == 7);
  CHECK(c.overflowed() == 7);
  // A known tenant still has its own series.
  c.add({"1"}, 1);
  CHECK(c.at({"1"}).total(0) == 2);
  // The wrong number of values is not lost either.
  c.add({"a", "b"}, 1);
  CHECK(other + 1 == [&] {
    double o = 0;
    c.each([&](const series& s) {
      if (s.values()[0] == "_other") o = s.total(0);
    });
    return o;
  }());
}

TEST_CASE("registry: a name registered twice", "[observe][unit]") {
  registry reg;
  auto& a = reg.counter(opts("x", {"m"}));
  auto& b = reg.counter(opts("x", {"m"}));
  CHECK(&a == &b);
  CHECK_THROWS_AS(reg.counter(opts("x", {"other"})), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge(opts("x", {"m"})), std::invalid_argument);
  CHECK_THROWS_AS(reg.histogram(opts("h", {}, {1, 1})), std::invalid_argument);
  CHECK(reg.find("x") == &a);
  CHECK(reg.find("y") == nullptr);
}

TEST_CASE("registry: four threads on the same and on new series lose nothing",
          "[observe][threads]") {
  registry reg;
  auto& c = reg.counter(opts("n", {"k"}, {}, 1000));
  auto& h = reg.histogram(opts("h", {"k"}, {1, 2, 4}));
  constexpr int per = 20000;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < per; ++i) {
        c.add({"same"}, 1);
        c.add({std::to_string(i % 50)}, 1);  // new series appear while others record
        h.observe({"same"}, static_cast<double>((i + t) % 5));
      }
    });
  for (auto& t : ts) t.join();
  CHECK(c.at({"same"}).total(0) == 4 * per);
  double spread = 0;
  c.each([&](const series& s) {
    if (s.values()[0] != "same") spread += s.total(0);
  });
  CHECK(spread == 4 * per);
  CHECK(h.at({"same"}).total(0) == 4 * per);
}

TEST_CASE("registry: _other does not take the place of a real label set", "[observe][unit]") {
  registry reg;
  auto& c = reg.counter(opts("x", {"k"}, {}, 2));
  c.add({"a", "b"}, 1);  // the wrong number of values: _other, made first
  c.add({"one"}, 1);
  c.add({"two"}, 1);
  c.add({"three"}, 1);  // full: _other
  int real = 0;
  c.each([&](const series& s) {
    if (s.values()[0] != "_other") ++real;
  });
  CHECK(real == 2);
  CHECK(c.overflowed() == 1);
  c.add({"four"}, 1);  // found full without the lock: _other again
  CHECK(c.overflowed() == 2);
}
