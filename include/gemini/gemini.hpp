// gemini-cxx — umbrella header: the client (asynchronous and blocking), its configuration
// (also from JSON), and every shipped policy that needs nothing beyond gemini::gemini.
// Not included: Redis (gemini/cache/redis.hpp, target gemini::redis, needs hiredis) and the
// test tools (gemini/testing/).
//
//   gemini::basic_client<gemini::policies::production> c(ex, cfg);   // gemini/bundles.hpp
//   struct mine : gemini::policies::defaults { using cache = gemini::cache::memory<>; };
#pragma once

#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/budget/memory.hpp>
#include <gemini/bundles.hpp>
#include <gemini/cache/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/client_config.hpp>
#include <gemini/config.hpp>
#include <gemini/config_json.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/keyed.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/policies.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/route/router.hpp>
#include <gemini/shared.hpp>
#include <gemini/sync/multi_thread.hpp>
#include <gemini/sync_client.hpp>
#include <gemini/wire/types.hpp>
