// gemini-cxx — the library's metrics in a service that already uses prometheus-cpp
// (Debian prometheus-cpp-dev; link prometheus-cpp::core). A prometheus::Collectable that
// reads a gemini registry at every scrape, with the names and labels of
// observe/prometheus.hpp:
//
//   auto gemini_metrics = std::make_shared<gemini::observe::prometheus_cpp_collectable>(
//       client.observer().metrics());
//   prometheus::Exposer exposer{"127.0.0.1:9464"};
//   exposer.RegisterCollectable(service_registry);   // the service's own prometheus::Registry
//   exposer.RegisterCollectable(gemini_metrics);     // and the library's, on the same /metrics
//
// Or add `gemini_metrics->Collect()` to the families a service serializes itself.
#pragma once

#include <gemini/observe/prometheus.hpp>
#include <gemini/observe/registry.hpp>

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace observe {

class prometheus_cpp_collectable : public prometheus::Collectable {
 public:
  explicit prometheus_cpp_collectable(std::shared_ptr<const registry> reg) : reg_(std::move(reg)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    reg_->each([&](const family& f) {
      prometheus::MetricFamily mf;
      const std::string base = exposed_name(f);
      mf.help = f.options().help;
      std::vector<std::string> names;
      for (auto& l : f.options().labels) names.push_back(detail::sanitized(l, false));
      switch (f.kind()) {
        case metric_kind::counter:
          mf.name = base + "_total";  // prometheus-cpp writes counter samples by the family name
          mf.type = prometheus::MetricType::Counter;
          break;
        case metric_kind::gauge:
          mf.name = base;
          mf.type = prometheus::MetricType::Gauge;
          break;
        case metric_kind::histogram:
          mf.name = base;
          mf.type = prometheus::MetricType::Histogram;
          break;
      }
      f.each([&](const series& s) {
        prometheus::ClientMetric m;
        for (std::size_t i = 0; i < names.size(); ++i) m.label.push_back({names[i], s.values()[i]});
        switch (f.kind()) {
          case metric_kind::counter: m.counter.value = s.total(0); break;
          case metric_kind::gauge:
            m.gauge.value = s.gauge_value.load(std::memory_order_relaxed);
            break;
          case metric_kind::histogram: {
            const auto& b = f.options().buckets;
            double cumulative = 0;
            for (std::size_t i = 0; i < b.size(); ++i) {
              cumulative += s.total(2 + i);
              m.histogram.bucket.push_back({static_cast<std::uint64_t>(cumulative), b[i]});
            }
            cumulative += s.total(2 + b.size());
            m.histogram.bucket.push_back(
                {static_cast<std::uint64_t>(cumulative), std::numeric_limits<double>::infinity()});
            m.histogram.sample_count = static_cast<std::uint64_t>(cumulative);
            m.histogram.sample_sum = s.total(1);
            break;
          }
        }
        mf.metric.push_back(std::move(m));
      });
      if (!mf.metric.empty()) out.push_back(std::move(mf));
    });
    return out;
  }

 private:
  std::shared_ptr<const registry> reg_;
};

}  // namespace observe
}  // namespace v1
}  // namespace gemini
