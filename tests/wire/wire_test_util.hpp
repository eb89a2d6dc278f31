// Helpers for the wire tests: fixtures and a JSON comparison that tolerates number
// representation (1 vs 1.0, float round trips) and key order.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace wire_test {

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(GEMINI_TEST_DATA_DIR) + "/wire/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// "" when equivalent, else the JSON path of the first difference and what differs.
inline std::string diff(const boost::json::value& a, const boost::json::value& b,
                        const std::string& path = "$") {
  if (a.is_number() && b.is_number()) {
    double x = a.to_number<double>(), y = b.to_number<double>();
    double tol = 1e-6 * std::max(1.0, std::max(std::fabs(x), std::fabs(y)));
    return std::fabs(x - y) <= tol
               ? ""
               : path + ": " + boost::json::serialize(a) + " vs " + boost::json::serialize(b);
  }
  if (a.kind() != b.kind())
    return path + ": kind " + boost::json::serialize(a) + " vs " + boost::json::serialize(b);
  if (a.is_object()) {
    auto const& oa = a.get_object();
    auto const& ob = b.get_object();
    for (auto const& kv : oa) {
      auto const* other = ob.if_contains(kv.key());
      if (!other) return path + "." + std::string(kv.key()) + ": missing on the right";
      auto d = diff(kv.value(), *other, path + "." + std::string(kv.key()));
      if (!d.empty()) return d;
    }
    for (auto const& kv : ob)
      if (!oa.contains(kv.key()))
        return path + "." + std::string(kv.key()) + ": missing on the left";
    return "";
  }
  if (a.is_array()) {
    auto const& xa = a.get_array();
    auto const& xb = b.get_array();
    if (xa.size() != xb.size()) return path + ": array sizes differ";
    for (std::size_t i = 0; i < xa.size(); ++i) {
      auto d = diff(xa[i], xb[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  return a == b ? "" : path + ": " + boost::json::serialize(a) + " vs " + boost::json::serialize(b);
}

}  // namespace wire_test
