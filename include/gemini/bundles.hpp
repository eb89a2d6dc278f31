// gemini-cxx — ready-made policy bundles. A bundle is only a list of types: your own with
// the same choices is the same client type (basic_client<P> depends on the slot types).
//
//   gemini::basic_client<gemini::policies::production> c(ex, cfg);
#pragma once

#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/cache/memory.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/policies.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/route/router.hpp>

namespace gemini {
inline namespace v1 {
namespace policies {

/// What most services want in front of the API: a memory response cache, RPM / TPM /
/// concurrency limits, a circuit breaker, retry with back-off and jitter, and failover
/// across endpoints in order. Configure each with basic_config<production>.
struct production : defaults {
  using cache = gemini::cache::memory<>;
  using limit = gemini::limit::token_bucket;
  using breaker = gemini::breaker::consecutive_failures;
  using retry = gemini::retry::exponential;
  using route = gemini::route::router<gemini::route::ordered_fallback>;
};

}  // namespace policies
}  // namespace v1
}  // namespace gemini
