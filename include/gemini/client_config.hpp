// gemini-cxx — a client's whole configuration in one value: the client's own options and
// one options value per policy slot.
//
//   gemini::basic_config<my_policies> cfg;          // every field has its default
//   cfg.client.model = "gemini-2.5-flash";
//   cfg.cache.max_bytes = 256 << 20;                // cache::memory<>'s memory_options
//   cfg.limit.requests_per_minute = 600;            // limit::token_bucket<>'s options
//   gemini::basic_client<my_policies> c(ex, std::move(cfg));
//
// or from a JSON document (gemini/config_json.hpp), every bad field named in the error.
// A slot whose policy takes no options (the `none` policies) has a `no_options` member.
#pragma once

#include <gemini/config.hpp>

namespace gemini {
inline namespace v1 {

/// The options of a policy that takes none.
struct no_options {
  friend bool operator==(const no_options&, const no_options&) = default;
};

namespace detail {
template <class P>
struct options_of_impl {
  using type = no_options;
};
template <class P>
requires requires { typename P::options_type; }
struct options_of_impl<P> {
  using type = typename P::options_type;
};
}  // namespace detail

/// P::options_type, or no_options for a policy without one.
template <class P>
using options_of = typename detail::options_of_impl<P>::type;

/// Everything a client of slot set S is configured by (basic_config<Policies> names it).
template <class S>
struct client_config {
  client_options client = client_options::from_environment();
  options_of<typename S::transport> transport{};
  options_of<typename S::cache> cache{};
  options_of<typename S::limit> limit{};
  options_of<typename S::breaker> breaker{};
  options_of<typename S::retry> retry{};
  options_of<typename S::route> route{};
  options_of<typename S::budget> budget{};
  options_of<typename S::guard> guard{};
  options_of<typename S::observe> observe{};
};

}  // namespace v1
}  // namespace gemini
