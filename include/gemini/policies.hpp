// gemini-cxx — the policy bundle: every slot with its default.
//
//   struct my_policies : gemini::policies::defaults {
//     using cache = gemini::cache::memory<>;
//   };
//   using my_client = gemini::basic_client<my_policies>;
#pragma once

#include <gemini/breaker/none.hpp>
#include <gemini/budget/none.hpp>
#include <gemini/cache/none.hpp>
#include <gemini/clock/steady.hpp>
#include <gemini/guard/none.hpp>
#include <gemini/limit/none.hpp>
#include <gemini/observe/none.hpp>
#include <gemini/retry/none.hpp>
#include <gemini/route/none.hpp>
#include <gemini/slots.hpp>
#include <gemini/sync/single_thread.hpp>
#include <gemini/transport/https.hpp>

namespace gemini {
inline namespace v1 {
namespace policies {

/// Every slot at its default: the HTTPS transport and no-op policies.
struct defaults {
  using transport = gemini::transport::https_transport;
  using cache = gemini::cache::none;
  using limit = gemini::limit::none;
  using breaker = gemini::breaker::none;
  using retry = gemini::retry::none;
  using route = gemini::route::none;
  using budget = gemini::budget::none;
  using guard = gemini::guard::none;
  using observe = gemini::observe::none;
  using clock = gemini::clock::steady;
  using sync = gemini::sync::single_thread;
};

}  // namespace policies
}  // namespace v1
}  // namespace gemini
