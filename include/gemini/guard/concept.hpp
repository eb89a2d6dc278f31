// gemini-cxx — the guard slot: inspect / rewrite the request before it leaves (pipeline
// step 1), filter the response and every streamed chunk after (step 6), DESIGN.md §3.
//
// | expression                        | meaning                                             |
// |-----------------------------------|-----------------------------------------------------|
// | `P::slot`                         | gemini::slot::guard                                 |
// | `P::state`                        | per-call state (e.g. what was masked),
// default-constructible | | `p.inspect(req, st, info)`        | `std::optional<error>`: refuse
// (rejected_by_guard), or rewrite `req` in place | | `p.filter(resp, st, info)`        | the final
// response, before the caller (and the cache key's owner) sees it | | `p.filter_chunk(chunk, st,
// info)` | each streamed chunk before `on_chunk` sees it       |
//
// Hooks are synchronous and run on the client's executor. A response served from the
// cache is filtered too (the cache holds what the service answered).
#pragma once

#include <gemini/error.hpp>
#include <gemini/slots.hpp>

#include <concepts>
#include <optional>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace wire {
struct generate_content_request;
struct generate_content_response;
}  // namespace wire
namespace guard {

/// Who makes the call (for per-tenant policies).
struct call_info {
  std::string_view tenant;
  std::string_view user;
  std::string_view model;
  bool streaming = false;
};

// clang-format off
template <class P>
concept guard_policy =
    declares_slot<P, gemini::slot::guard> &&
    std::default_initializable<typename P::state> &&
    requires(P& p, typename P::state& st, const call_info& info,
             wire::generate_content_request& req, wire::generate_content_response& resp) {
      { p.inspect(req, st, info) } -> std::same_as<std::optional<gemini::error>>;
      p.filter(resp, st, info);  // void, or std::optional<gemini::error> to refuse the answer
      p.filter_chunk(resp, st, info);
    };
// clang-format on

}  // namespace guard
}  // namespace v1
}  // namespace gemini
