// gemini-cxx — the pipeline's stages for the guard, budget and observe slots.
//
// Each stage holds its slot's policy (a `[[no_unique_address]]` member of the client) and
// exposes the hooks the pipeline calls at fixed points (DESIGN.md §3):
//
//   guard.before   (1)  inspect / rewrite the request, or refuse it
//   budget.before  (2)  reserve the worst case
//   ...cache, attempt loop...
//   guard.after    (6)  filter the response (guard.chunk: each streamed chunk)
//   observe.record      every event (observe/concept.hpp)
//   budget.after   (6)  settle with the actual cost (release on every other exit)
//
// A stage's per-call state (`call`) lives in the call's frame. For a slot's `none` the
// stage is an empty type whose hooks are empty inline functions: they compile to nothing.
#pragma once

#include <gemini/budget/concept.hpp>
#include <gemini/detail/built_by.hpp>
#include <gemini/error.hpp>
#include <gemini/guard/concept.hpp>
#include <gemini/observe/concept.hpp>
#include <gemini/slots.hpp>
#include <gemini/wire/types.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace detail {

/// A stage's policy, built in place by `b.make()`. A non-empty policy is a plain member
/// (not potentially overlapping, so the prvalue is not moved: non-movable policies work);
/// an empty one is [[no_unique_address]] and costs no space (it must then be movable).
template <class P, bool Empty = std::is_empty_v<P>>
struct stage_policy {
  stage_policy() = default;
  template <class F>
  explicit stage_policy(built_by<F> b) : p(b.make()) {}
  P p;
};
template <class P>
struct stage_policy<P, true> {
  stage_policy() = default;
  template <class F>
  explicit stage_policy(built_by<F> b) : p(b.make()) {}
  [[no_unique_address]] P p;
};

// ---- guard ----------------------------------------------------------------------------

template <class Guard>
class guard_stage {
  static_assert(guard::guard_policy<Guard>,
                "gemini: the `guard` slot needs `using state = ...;` (per-call state), "
                "inspect(request&, state&, call_info) -> std::optional<error>, "
                "filter(response&, state&, call_info) and filter_chunk(response&, state&, "
                "call_info) (see docs/guard.md)");

 public:
  guard_stage() = default;
  /// The policy built in place by `b.make()` (a prvalue: no move, non-movable policies work).
  template <class F>
  explicit guard_stage(built_by<F> b) : h_(std::move(b)) {}
  static constexpr bool active = true;
  struct call {
    typename Guard::state state{};
  };
  Guard& policy() noexcept { return h_.p; }
  std::optional<gemini::error> before(call& c, wire::generate_content_request& req,
                                      const guard::call_info& info) {
    auto e = h_.p.inspect(req, c.state, info);
    if (e && e->code == errc::success) e->code = errc::rejected_by_guard;
    return e;
  }
  /// The filter may refuse the answer (when it returns std::optional<gemini::error>).
  std::optional<gemini::error> after(call& c, wire::generate_content_response& r,
                                     const guard::call_info& info) {
    if constexpr (std::is_void_v<decltype(h_.p.filter(r, c.state, info))>) {
      h_.p.filter(r, c.state, info);
      return std::nullopt;
    } else {
      auto e = h_.p.filter(r, c.state, info);
      if (e && e->code == errc::success) e->code = errc::rejected_by_guard;
      return e;
    }
  }
  void chunk(call& c, wire::generate_content_response& r, const guard::call_info& info) {
    h_.p.filter_chunk(r, c.state, info);
  }

 private:
  [[no_unique_address]] stage_policy<Guard> h_;
};

template <none_policy Guard>
class guard_stage<Guard> {
 public:
  guard_stage() = default;
  /// The policy built in place by `b.make()` (a prvalue: no move, non-movable policies work).
  template <class F>
  explicit guard_stage(built_by<F> b) : g_(b.make()) {}
  static constexpr bool active = false;
  struct call {};
  Guard& policy() noexcept { return g_; }
  std::optional<gemini::error> before(call&, wire::generate_content_request&,
                                      const guard::call_info&) noexcept {
    return std::nullopt;
  }
  std::optional<gemini::error> after(call&, wire::generate_content_response&,
                                     const guard::call_info&) noexcept {
    return std::nullopt;
  }
  void chunk(call&, wire::generate_content_response&, const guard::call_info&) noexcept {}

 private:
  [[no_unique_address]] Guard g_;
};

// ---- budget ---------------------------------------------------------------------------

template <class Budget, class Clock>
class budget_stage {
  static_assert(budget::budget_policy<Budget>,
                "gemini: the `budget` slot needs `using reservation = ...;`, "
                "reserve(budget::request, now) -> result<reservation> (or async_reserve returning "
                "an awaitable of it), settle(reservation&, "
                "budget::actual, now) and release(reservation&, now) (see docs/budget.md)");

 public:
  budget_stage() = default;
  /// The policy built in place by `b.make()` (a prvalue: no move, non-movable policies work).
  template <class F>
  explicit budget_stage(built_by<F> b) : h_(std::move(b)) {}
  static constexpr bool active = true;
  /// The policy admits through an awaitable (async_before, not before).
  static constexpr bool async = budget::async_budget_policy<Budget>;
  /// The policy may advise an admitted call (a cheaper model, a compacted prompt).
  static constexpr bool advises = requires(const Budget& b, const typename Budget::reservation& r) {
    { b.advice(r) } -> std::same_as<budget::advice>;
  };
  /// One call's reservation: released by the destructor unless settled.
  class call {
   public:
    call() = default;
    call(const call&) = delete;
    call& operator=(const call&) = delete;
    ~call() {
      if (r_) b_->release(*r_, c_->now());
    }

   private:
    friend class budget_stage;
    Budget* b_ = nullptr;
    Clock* c_ = nullptr;
    std::optional<typename Budget::reservation> r_;
  };
  Budget& policy() noexcept { return h_.p; }
  std::optional<gemini::error> before(call& c, Clock& clock,
                                      const budget::request& q) requires(!async) {
    return admitted(c, clock, h_.p.reserve(q, clock.now()));
  }
  /// `q` by value: its views point into the call's options, which outlive the wait.
  boost::asio::awaitable<std::optional<gemini::error>> async_before(
      call& c, Clock& clock, budget::request q) requires async {
    co_return admitted(c, clock, co_await h_.p.async_reserve(q, clock.now()));
  }
  budget::advice advice(const call& c) const {
    if constexpr (advises) {
      if (c.r_) return h_.p.advice(*c.r_);
    }
    return {};
  }
  /// The call was admitted past a soft limit (when the reservation says so).
  bool soft(const call& c) const noexcept {
    if constexpr (requires(const typename Budget::reservation& r) { bool(r.soft); })
      return c.r_ && c.r_->soft;
    else
      return false;
  }
  void after(call& c, const budget::actual& a) {
    if (!c.r_) return;
    auto r = std::move(*c.r_);
    c.r_.reset();
    h_.p.settle(r, a, c.c_->now());
  }

 private:
  std::optional<gemini::error> admitted(call& c, Clock& clock,
                                        result<typename Budget::reservation> r) {
    if (!r) {
      auto e = std::move(r).error();
      if (e.code == errc::success) e.code = errc::budget_exceeded;
      return e;
    }
    c.b_ = &h_.p;
    c.c_ = &clock;
    c.r_.emplace(std::move(*r));
    return std::nullopt;
  }

  [[no_unique_address]] stage_policy<Budget> h_;
};

template <none_policy Budget, class Clock>
class budget_stage<Budget, Clock> {
 public:
  budget_stage() = default;
  /// The policy built in place by `b.make()` (a prvalue: no move, non-movable policies work).
  template <class F>
  explicit budget_stage(built_by<F> b) : b_(b.make()) {}
  static constexpr bool active = false;
  static constexpr bool async = false;
  static constexpr bool advises = false;
  struct call {};
  Budget& policy() noexcept { return b_; }
  std::optional<gemini::error> before(call&, Clock&, const budget::request&) noexcept {
    return std::nullopt;
  }
  bool soft(const call&) const noexcept { return false; }
  void after(call&, const budget::actual&) noexcept {}

 private:
  [[no_unique_address]] Budget b_;
};

// ---- observe --------------------------------------------------------------------------

template <class Observe>
class observe_stage {
  static_assert(observe::observe_policy<Observe>,
                "gemini: the `observe` slot needs record(const observe::event&) "
                "(see docs/observe.md)");

 public:
  observe_stage() = default;
  /// The policy built in place by `b.make()` (a prvalue: no move, non-movable policies work).
  template <class F>
  explicit observe_stage(built_by<F> b) : h_(std::move(b)) {}
  static constexpr bool active = true;
  Observe& policy() noexcept { return h_.p; }
  /// `make()` builds the event only when an observer is there to see it.
  template <class Make>
  void record(Make&& make) {
    const observe::event e = make();
    h_.p.record(e);
  }

 private:
  [[no_unique_address]] stage_policy<Observe> h_;
};

template <none_policy Observe>
class observe_stage<Observe> {
 public:
  observe_stage() = default;
  /// The policy built in place by `b.make()` (a prvalue: no move, non-movable policies work).
  template <class F>
  explicit observe_stage(built_by<F> b) : o_(b.make()) {}
  static constexpr bool active = false;
  Observe& policy() noexcept { return o_; }
  template <class Make>
  void record(Make&&) noexcept {}

 private:
  [[no_unique_address]] Observe o_;
};

}  // namespace detail
}  // namespace v1
}  // namespace gemini
