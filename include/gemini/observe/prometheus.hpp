// gemini-cxx — a registry (observe/registry.hpp) in the Prometheus text format 0.0.4 or
// OpenMetrics 1.0, names translated as OpenTelemetry's Prometheus exporter does.
//
//   std::string body;
//   gemini::observe::write_exposition(reg, body, gemini::observe::exposition::prometheus);
//   // serve with Content-Type: gemini::observe::content_type(...)
//
// Names: characters other than [a-zA-Z0-9_:] become '_', the unit is added as a suffix
// ("s" → _seconds, "ms" → _milliseconds, "By" → _bytes, "1" → _ratio on gauges, "USD" →
// _usd; a unit in braces such as "{token}" adds nothing) and counters end in _total. Label
// names are translated the same way (gen_ai.request.model → gen_ai_request_model). HELP
// text and label values are escaped per the format; the output ends with a newline (and
// "# EOF" in OpenMetrics).
#pragma once

#include <gemini/detail/utf8.hpp>
#include <gemini/observe/registry.hpp>

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>

namespace gemini {
inline namespace v1 {
namespace observe {

enum class exposition {
  prometheus,   ///< text/plain; version=0.0.4
  openmetrics,  ///< application/openmetrics-text; version=1.0.0
};

inline std::string_view content_type(exposition f) noexcept {
  return f == exposition::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                      : "text/plain; version=0.0.4; charset=utf-8";
}

namespace detail {

inline std::string sanitized(std::string_view name, bool metric) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || (metric && c == ':');
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

/// The unit's suffix, "" for none.
inline std::string unit_suffix(std::string_view unit, metric_kind k) {
  if (unit.empty() || unit.front() == '{') return {};
  if (unit == "s") return "seconds";
  if (unit == "ms") return "milliseconds";
  if (unit == "us") return "microseconds";
  if (unit == "By") return "bytes";
  if (unit == "1") return k == metric_kind::gauge ? "ratio" : "";
  std::string u = sanitized(unit, false);
  for (auto& c : u)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return u;
}

inline void number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void escaped(std::string& out, std::string_view text, bool quote) {
  std::string fixed;
  std::string_view s = text;
  if (!gemini::detail::valid_utf8(text)) {  // Prometheus refuses a scrape with invalid UTF-8
    fixed = gemini::detail::utf8_replaced(text);
    s = fixed;
  }
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

inline void labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view le = {}) {
  if (names.empty() && le.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    escaped(out, values[i], true);
    out += '"';
  }
  if (!le.empty()) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

}  // namespace detail

/// The family's name as exposed (before _total / _bucket / … sample suffixes).
inline std::string exposed_name(const family& f) {
  std::string n = detail::sanitized(f.options().name, true);
  if (f.kind() == metric_kind::counter && n.ends_with("_total")) n.resize(n.size() - 6);
  const std::string suffix = detail::unit_suffix(f.options().unit, f.kind());
  if (!suffix.empty() && !n.ends_with("_" + suffix)) n += "_" + suffix;
  return n;
}

inline void write_exposition(const registry& reg, std::string& out,
                             exposition fmt = exposition::prometheus) {
  const bool om = fmt == exposition::openmetrics;
  reg.each([&](const family& f) {
    bool any = false;
    f.each([&](const series&) { any = true; });
    if (!any) return;
    const std::string base = exposed_name(f);
    std::vector<std::string> names;
    for (auto& l : f.options().labels) names.push_back(detail::sanitized(l, false));
    const bool counter = f.kind() == metric_kind::counter;
    // 0.0.4 names the family by its sample (x_total); OpenMetrics by the family (x).
    const std::string family_name = counter && !om ? base + "_total" : base;
    const char* type = counter ? "counter" : f.kind() == metric_kind::gauge ? "gauge" : "histogram";
    if (!f.options().help.empty()) {
      out += "# HELP ";
      out += family_name;
      out += ' ';
      detail::escaped(out, f.options().help, om);
      out += '\n';
    }
    out += "# TYPE ";
    out += family_name;
    out += ' ';
    out += type;
    out += '\n';
    const std::string suffix = detail::unit_suffix(f.options().unit, f.kind());
    if (om && !suffix.empty() && base.ends_with("_" + suffix)) {
      out += "# UNIT ";
      out += base;
      out += ' ';
      out += suffix;
      out += '\n';
    }
    f.each([&](const series& s) {
      switch (f.kind()) {
        case metric_kind::counter:
          out += base;
          out += "_total";
          detail::labels(out, names, s.values());
          out += ' ';
          detail::number(out, s.total(0));
          out += '\n';
          break;
        case metric_kind::gauge:
          out += base;
          detail::labels(out, names, s.values());
          out += ' ';
          detail::number(out, s.gauge_value.load(std::memory_order_relaxed));
          out += '\n';
          break;
        case metric_kind::histogram: {
          // Read once: count and buckets stay consistent with each other (count = +Inf).
          const auto& b = f.options().buckets;
          std::vector<double> cells(b.size() + 1);
          for (std::size_t i = 0; i <= b.size(); ++i) cells[i] = s.total(2 + i);
          double cumulative = 0;
          for (std::size_t i = 0; i <= b.size(); ++i) {
            cumulative += cells[i];
            std::string le;
            if (i < b.size())
              detail::number(le, b[i]);
            else
              le = "+Inf";
            out += base;
            out += "_bucket";
            detail::labels(out, names, s.values(), le);
            out += ' ';
            detail::number(out, cumulative);
            out += '\n';
          }
          out += base;
          out += "_sum";
          detail::labels(out, names, s.values());
          out += ' ';
          detail::number(out, s.total(1));
          out += '\n';
          out += base;
          out += "_count";
          detail::labels(out, names, s.values());
          out += ' ';
          detail::number(out, cumulative);
          out += '\n';
          break;
        }
      }
    });
  });
  if (om) out += "# EOF\n";
}

inline std::string exposition_text(const registry& reg, exposition fmt = exposition::prometheus) {
  std::string out;
  write_exposition(reg, out, fmt);
  return out;
}

}  // namespace observe
}  // namespace v1
}  // namespace gemini
