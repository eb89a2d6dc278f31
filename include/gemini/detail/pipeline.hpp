// gemini-cxx — the client's pipeline (DESIGN.md §3): the policies, held as stages, and the
// one attempt loop that unary, routed and streamed calls all run.
//
//   guard.before → budget.before → cache lookup / coalescing →
//   attempt loop { deadline → breaker → limit → route → transport → learn → retry/failover }
//   → cache store → guard.after → observe(call_end) → budget.after
//
// Everything an attempt acquires is owned by an attempt_permit (detail/attempt.hpp);
// everything a call acquires (budget reservation, coalescing flight, limiter waiter) by an
// RAII object in the call's frame. docs/architecture.md draws it.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/cache/concept.hpp>
#include <gemini/client_config.hpp>
#include <gemini/clock/concept.hpp>
#include <gemini/config.hpp>
#include <gemini/detail/attempt.hpp>
#include <gemini/detail/flight_table.hpp>
#include <gemini/detail/limit_gate.hpp>
#include <gemini/detail/request.hpp>
#include <gemini/detail/stages.hpp>
#include <gemini/detail/stream_reader.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/prompt/compact.hpp>
#include <gemini/retry/concept.hpp>
#include <gemini/route/concept.hpp>
#include <gemini/route/detail/hedge.hpp>
#include <gemini/route/detail/routed_call.hpp>
#include <gemini/sync/concept.hpp>
#include <gemini/transport/concept.hpp>
#include <gemini/transport/http.hpp>
#include <gemini/wire/error_body.hpp>
#include <gemini/wire/openai.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace detail {

template <class S>
class client_impl;

/// A bundle's slot types, normalized: bundles with the same choices share one client type.
template <class Transport, class Cache, class Limit, class Breaker, class Retry, class Route,
          class Budget, class Guard, class Observe, class Clock, class Sync>
struct slot_set {
  using transport = Transport;
  using cache = Cache;
  using limit = Limit;
  using breaker = Breaker;
  using retry = Retry;
  using route = Route;
  using budget = Budget;
  using guard = Guard;
  using observe = Observe;
  using clock = Clock;
  using sync = Sync;
};

/// What the retry policy said after a failed attempt (after its back-off, if any).
enum class attempt_next { give_up, retry, cancelled };

/// A call made without call_options: the defaults, held by no one's frame.
struct default_call {};
inline const call_options& options_of(const call_options& o) noexcept { return o; }
inline const call_options& options_of(default_call) noexcept { return default_options; }
inline call_options own_options(call_options&& o) noexcept { return std::move(o); }
inline call_options own_options(const call_options& o) { return o; }
inline call_options own_options(default_call) { return {}; }

template <class S>
class pipeline {
 public:
  using transport_type = typename S::transport;
  using cache_type = typename S::cache;
  using limit_type = typename S::limit;
  using breaker_type = typename S::breaker;
  using retry_type = typename S::retry;
  using route_type = typename S::route;
  using budget_type = typename S::budget;
  using guard_type = typename S::guard;
  using observe_type = typename S::observe;
  using clock_type = typename S::clock;
  using sync_type = typename S::sync;
  using executor_type = boost::asio::any_io_executor;

 private:
  using Transport = transport_type;
  using Cache = cache_type;
  using Limit = limit_type;
  using Breaker = breaker_type;
  using Retry = retry_type;
  using Route = route_type;
  using Clock = clock_type;

  static_assert(transport::transport_policy<Transport>,
                "gemini: the `transport` slot needs `using slot = gemini::slot::transport;`, "
                "request(http_request, attempt_limits) and open(...) returning awaitables "
                "(see docs/client.md#the-transport-slot)");
  static_assert(declares_slot<Cache, slot::cache>,
                "gemini: the `cache` slot type must declare `using slot = gemini::slot::cache;`");
  static_assert(none_policy<Cache> || cache::cache_policy<Cache>,
                "gemini: the `cache` slot needs behaviour() and either lookup(key, now) / "
                "store(key, response_ptr, ttl, now) or async_lookup / async_store returning "
                "awaitables (see docs/cache.md)");
  static_assert(declares_slot<Limit, slot::limit>,
                "gemini: the `limit` slot type must declare `using slot = gemini::slot::limit;`");
  static_assert(none_policy<Limit> || limit::limit_policy<Limit>,
                "gemini: the `limit` slot needs try_acquire(cost, now) -> grant (or "
                "async_try_acquire returning an awaitable of it), "
                "release(cost, actual_tokens, now), pause_until(t) and options().max_queue / "
                "max_wait (see docs/limit.md)");
  static_assert(declares_slot<Breaker, slot::breaker>,
                "gemini: the `breaker` slot type must declare `using slot = "
                "gemini::slot::breaker;`");
  static_assert(none_policy<Breaker> || breaker::breaker_policy<Breaker>,
                "gemini: the `breaker` slot needs allow(now) -> bool, record(outcome, took, now) "
                "and current(now) (see docs/breaker.md)");
  static_assert(declares_slot<Retry, slot::retry>,
                "gemini: the `retry` slot type must declare `using slot = gemini::slot::retry;`");
  static_assert(none_policy<Retry> || retry::retry_policy<Retry>,
                "gemini: the `retry` slot needs on_request(now) and on_failure(error, "
                "retry_state&, now) -> decision (see docs/retry.md)");
  static_assert(declares_slot<Route, slot::route>,
                "gemini: the `route` slot type must declare `using slot = gemini::slot::route;`");
  static_assert(none_policy<Route> || route::route_policy<Route>,
                "gemini: the `route` slot needs size(), at(i) -> const endpoint&, options()."
                "fallback_on_block, choose(traits, failed, now) -> choice and finished(i, "
                "error*, took, now, reserved, used) (see docs/routing.md)");
  static_assert(declares_slot<typename S::budget, slot::budget>,
                "gemini: the `budget` slot type must declare `using slot = gemini::slot::budget;`");
  static_assert(declares_slot<typename S::guard, slot::guard>,
                "gemini: the `guard` slot type must declare `using slot = gemini::slot::guard;`");
  static_assert(declares_slot<typename S::observe, slot::observe>,
                "gemini: the `observe` slot type must declare `using slot = "
                "gemini::slot::observe;`");
  static_assert(declares_slot<Clock, slot::clock>,
                "gemini: the `clock` slot type must declare `using slot = gemini::slot::clock;`");
  static_assert(clock::clock_policy<Clock>,
                "gemini: the `clock` slot needs time_point and duration of "
                "std::chrono::steady_clock and now() const -> time_point (see docs/clock.md)");
  static_assert(declares_slot<typename S::sync, slot::sync>,
                "gemini: the `sync` slot type must declare `using slot = gemini::slot::sync;`");
  static_assert(sync::sync_policy<typename S::sync>,
                "gemini: the `sync` slot needs `static constexpr bool thread_safe` and a "
                "default-constructible `mutex` with lock(), unlock() and try_lock() (see "
                "docs/sync.md)");

  template <class>
  friend class attempt_permit;
  template <class>
  friend class client_impl;

  using permit = attempt_permit<pipeline>;
  using guard_stage_t = guard_stage<typename S::guard>;
  using budget_stage_t = budget_stage<typename S::budget, Clock>;
  using observe_stage_t = observe_stage<typename S::observe>;

  /// No coroutine of the client's own is needed for a call that is one attempt with
  /// nothing to wait for and nothing to observe: the permit's checks run before the
  /// transport's request_then, its finish() inside it (docs/decisions/0007, 0009).
  static constexpr bool single_shot =
      none_policy<Retry> && none_policy<Limit> && !observe_stage_t::active;
  /// The observer is told of breaker state changes / the pool's counts (decision 0017).
  static constexpr bool watches_breakers =
      observe_stage_t::active && (!none_policy<Breaker> || !none_policy<Route>);
  static constexpr bool watches_pool = observe_stage_t::active && requires(Transport & t) {
    t.stats().connections_opened;
  };
  static constexpr bool numbers_origin =
      observe_stage_t::active && !std::is_empty_v<typename S::observe>;
  /// generate() with nothing before or around the attempts: encoded, then unary().
  static constexpr bool plain_generate =
      none_policy<Cache> && none_policy<Route> && !guard_stage_t::active && !budget_stage_t::active;

 public:
  template <class TransportOptions>
  pipeline(executor_type ex, client_options opts, TransportOptions topts)
      : ex_(ex),
        opts_(std::move(opts)),
        transport_(ex, topts),
        cache_(make_policy<Cache>(ex, no_options{})) {
    configure();
  }

  /// Every policy built from its options in `c`. The cache, limit, breaker, retry and route
  /// policies are initialized from a prvalue, which for a [[no_unique_address]] member
  /// (potentially overlapping) the compiler may not elide: they must be move-constructible
  /// (every shipped one is). The guard, budget and observe policies are built in place.
  /// A non-movable policy of the first kind can be default-constructed instead (the
  /// client_options constructor) and configured through its accessor.
  pipeline(executor_type ex, client_config<S> c)
      : ex_(ex),
        opts_(std::move(c.client)),
        transport_(ex, std::move(c.transport)),
        cache_(make_policy<Cache>(ex, std::move(c.cache))),
        limit_(make_policy<Limit>(ex, std::move(c.limit))),
        breaker_(make_policy<Breaker>(ex, std::move(c.breaker))),
        retry_(make_policy<Retry>(ex, std::move(c.retry))),
        route_(make_policy<Route>(ex, std::move(c.route))),
        guard_(built_by{[&] { return make_policy<typename S::guard>(ex, std::move(c.guard)); }}),
        budget_(built_by{[&] { return make_policy<typename S::budget>(ex, std::move(c.budget)); }}),
        observe_(
            built_by{[&] { return make_policy<typename S::observe>(ex, std::move(c.observe)); }}) {
    configure();
  }

 private:
  // ---- configuration and requests ------------------------------------------------------

  void configure() {
    auto b = transport::parse_base_url(opts_.base_url);
    if (!b)
      config_error_ = std::move(b).error();
    else
      base_ = std::move(*b);
    if (!opts_.model.empty())
      generate_target_ = base_.path + "/" + model_path(opts_.model) + ":generateContent";
    if (!config_error_ && opts_.model.empty())
      config_error_ = gemini::error(errc::bad_configuration, "client_options::model is empty");
    if (!config_error_ && (opts_.timeout.count() <= 0 || opts_.attempt_timeout.count() <= 0))
      config_error_ = gemini::error(errc::bad_configuration,
                                    "client_options::timeout and attempt_timeout must be > 0");
    if constexpr (requires(Transport & t) { t.configuration_error(); }) {
      if (!config_error_ && transport_.configuration_error())
        config_error_ = *transport_.configuration_error();
    }
    if constexpr (watches_breakers) {
      breakers_told_.slots.resize(1);
      breakers_told_.slots[0].name = base_.origin.host_port();
    }
  }

  /// P from its options: P(ex, o) or P(o); without options P(ex) or P().
  template <class P, class O>
  static P make_policy(const executor_type& ex, O&& o) {
    if constexpr (std::is_same_v<std::remove_cvref_t<O>, no_options>) {
      if constexpr (std::is_constructible_v<P, executor_type>)
        return P(ex);
      else
        return P();
    } else if constexpr (std::is_constructible_v<P, executor_type, O>) {
      return P(ex, std::forward<O>(o));
    } else {
      static_assert(std::is_constructible_v<P, O>,
                    "gemini: a policy with an options_type must be constructible from it (or "
                    "from an executor and it)");
      return P(std::forward<O>(o));
    }
  }

  const std::string& model_of(const call_options& o) const {
    return o.model.empty() ? opts_.model : o.model;
  }

  std::string method_target(const call_options& o, std::string_view method) const {
    // The common case — the client's own model, generateContent — is built once.
    if (o.model.empty() && method == "generateContent" && !generate_target_.empty())
      return generate_target_;
    std::string m = model_path(model_of(o));
    std::string t;
    t.reserve(base_.path.size() + m.size() + method.size() + 2);
    t += base_.path;
    t += '/';
    t += m;
    t += ':';
    t += method;
    return t;
  }

  transport::http_request make_request(const char* method, std::string target, std::string body,
                                       std::string_view traceparent) const {
    transport::http_request r;
    r.origin = base_.origin;
    if (std::strcmp(method, "POST") != 0) r.method = method;  // "POST" is the default
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers.reserve(3);
    auto add = [&r](const char* name, const std::string& value) {
      auto& h = r.headers.emplace_back();  // built in place: no header temporary to move
      h.name = name;
      h.value = value;
    };
    if (!opts_.key.empty()) add("x-goog-api-key", opts_.key.reveal());
    add("x-goog-api-client", client_header);
    if (!traceparent.empty()) r.headers.push_back({"traceparent", std::string(traceparent)});
    return r;
  }

  /// The HTTP request for endpoint `ep` of a routed call, its body encoded once per format.
  template <class Deliver>
  result<transport::http_request> endpoint_request(const route::endpoint& ep,
                                                   route::detail::routed_call<Deliver>& rc,
                                                   std::string_view traceparent) const {
    auto base = transport::parse_base_url(ep.base_url);
    if (!base)
      return gemini::error(errc::bad_configuration,
                           "endpoint " + ep.name + ": " + base.error().message);
    const std::string& key = ep.key.empty() ? opts_.key.reveal() : ep.key.reveal();
    transport::http_request h;
    h.origin = std::move(base->origin);
    h.method = "POST";
    if (ep.provider == route::provider::gemini) {
      h.target = base->path + "/" + model_path(ep.model) +
                 (rc.streaming() ? ":streamGenerateContent?alt=sse" : ":generateContent");
      h.body = rc.gemini_body;
      if (!key.empty()) h.headers.push_back({"x-goog-api-key", key});
    } else {
      auto body = rc.openai_body(ep.model);
      if (!body) return std::move(body).error();
      h.target = base->path + "/chat/completions";
      h.body = **body;
      if (!key.empty()) h.headers.push_back({"authorization", "Bearer " + key});
    }
    h.headers.push_back({"x-goog-api-client", client_header});
    if (!traceparent.empty()) h.headers.push_back({"traceparent", std::string(traceparent)});
    return h;
  }

  /// The call's limits: its deadline is always absolute (the earlier of call_options::
  /// deadline and now + the call's timeout), whatever the ratio of the two timeouts, so
  /// that no wait (limiter, pool slot, back-off, stream) outlives the call.
  call_state begin_call(const call_options& o, limit::cost c, observe::operation op) {
    call_state cs;
    cs.op = op;
    cs.cost = c;
    cs.cost.model = model_of(o);  // views into the call's options, valid until it returns
    cs.cost.tenant = o.tenant;
    cs.cost.call = limit::next_call_id();
    cs.user = o.user;
    cs.labels = &o.labels;
    if (valid_traceparent(o.traceparent)) cs.traceparent = o.traceparent;
    cs.prio = o.priority;
    cs.began = transport::clock_type::now();
    auto total = o.timeout.count() > 0 ? o.timeout : opts_.timeout;
    cs.limits.deadline = std::min(o.deadline, saturating_add(cs.began, total));
    cs.limits.timeout = o.attempt_timeout.count() > 0 ? o.attempt_timeout : opts_.attempt_timeout;
    cs.retry.deadline = cs.limits.deadline;
    if constexpr (!none_policy<Retry>) retry_.on_request(clock_.now());
    return cs;
  }

  static gemini::error from_exception(const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::operation_aborted)
      return gemini::error(errc::cancelled, "the call was cancelled");
    return gemini::error(errc::transport, e.what());
  }

  // ---- one attempt's exchange ----------------------------------------------------------

  /// Maps one unary attempt's HTTP outcome to the call's result. Every return is a
  /// prvalue, so the parsed response is built where the caller keeps it (no move).
  template <class T>
  static result<T> to_result(result<transport::http_response>&& resp) {
    if (!resp) return std::move(resp).error();
    if (resp->status / 100 != 2) return error_of(*resp);
    return parse_body<T>(resp->body, resp->status);
  }
  static gemini::error error_of(const transport::http_response& resp) {
    auto e = wire::parse_error_body(resp.status, resp.body);
    retry_after_from(resp.headers, e);
    return e;
  }
  /// A non-2xx answer's Retry-After header, if any, read into `e` (unary and streamed).
  static void retry_after_from(const std::vector<transport::header>& headers, gemini::error& e) {
    for (auto const& h : headers)
      if (transport::detail::iequals(h.name, "retry-after")) wire::apply_retry_after(e, h.value);
  }
  template <class T>
  static result<T> parse_body(std::string_view body, int status) {
    result<T> parsed = wire::parse<T>(body);
    if (!parsed) {
      auto& e = parsed.error();
      e.message = "response body: " + e.message;
      e.code = errc::malformed_response;
      e.http_status = status;
    }
    return parsed;
  }

  template <class T>
  static boost::asio::awaitable<result<T>> ready(gemini::error e) {
    co_return e;
  }

  /// The transport's exchange mapped to result<T>: in the transport's own frame when it
  /// can (request_then), else in one of ours.
  template <class T>
  boost::asio::awaitable<result<T>> exchange(transport::http_request h,
                                             const transport::attempt_limits& lim) {
    if constexpr (transport::finishing_transport<Transport>) {
      return transport_.request_then(std::move(h), lim, [](result<transport::http_response>&& r) {
        return to_result<T>(std::move(r));
      });
    } else {
      return exchange_frame<T>(std::move(h), lim);
    }
  }
  template <class T>
  boost::asio::awaitable<result<T>> exchange_frame(transport::http_request h,
                                                   transport::attempt_limits lim) {
    auto resp = co_await transport_.request(std::move(h), lim);
    co_return to_result<T>(std::move(resp));
  }

  /// One unary attempt on an endpoint, its answer read in the endpoint's wire format.
  boost::asio::awaitable<result<wire::generate_content_response>> endpoint_attempt(
      transport::http_request h, route::provider provider, transport::attempt_limits lim) {
    if (provider == route::provider::gemini)
      co_return co_await exchange<wire::generate_content_response>(std::move(h), lim);
    auto resp = co_await transport_.request(std::move(h), lim);
    if (!resp) co_return std::move(resp).error();
    if (resp->status / 100 != 2) {
      auto e = wire::openai::parse_chat_error(resp->status, resp->body);
      retry_after_from(resp->headers, e);
      co_return e;
    }
    co_return wire::openai::parse_chat_response(resp->body);
  }

  /// One streaming attempt: open, then read every chunk through `deliver`.
  template <class Deliver>
  boost::asio::awaitable<result<wire::generate_content_response>> stream_exchange(
      transport::http_request h, bool openai, transport::attempt_limits lim, Deliver& deliver,
      bool& delivered) {
    auto s = co_await transport_.open(std::move(h), lim);
    if (!s) co_return std::move(s).error();
    auto r = co_await read_stream(*s, openai, deliver, delivered);
    if (!r && s->status() / 100 != 2) {
      if constexpr (requires { s->headers(); }) retry_after_from(s->headers(), r.error());
    }
    co_return r;
  }

  // ---- the senders: what one attempt sends, for the loop ------------------------------

  /// The client's own endpoint, unary.
  template <class T>
  struct own_unary {
    static constexpr bool routed = false;
    const char* method;
    std::string* target;
    std::string* body;
    bool delivered() const noexcept { return false; }
  };
  template <class T>
  boost::asio::awaitable<result<T>> send(own_unary<T>& s, permit&, const call_state& cs);

  /// The client's own endpoint, streamed.
  template <class Deliver>
  struct own_stream {
    static constexpr bool routed = false;
    std::string* target;
    std::string* body;
    Deliver* deliver;
    bool delivered_ = false;
    bool delivered() const noexcept { return delivered_; }
  };
  template <class Deliver>
  boost::asio::awaitable<result<wire::generate_content_response>> send(own_stream<Deliver>& s,
                                                                       permit&,
                                                                       const call_state& cs);

  /// A routed call: the endpoint the permit holds, unary (maybe hedged) or streamed.
  template <class Deliver>
  boost::asio::awaitable<result<wire::generate_content_response>> send(
      route::detail::routed_call<Deliver>& rc, permit& p, const call_state& cs);

  /// Starts racer k of a hedged attempt on endpoint i (route/detail/hedge.hpp). The race
  /// waits for every racer, so `this` outlives them.
  void start_racer(const std::shared_ptr<route::detail::race_state>& st, int k, std::size_t i,
                   transport::http_request h, const call_state& cs, std::int64_t reserved);

  boost::asio::awaitable<void> racer(std::shared_ptr<route::detail::race_state> st, int k,
                                     std::size_t i, transport::http_request h, route::provider prov,
                                     transport::attempt_limits lim, std::int64_t reserved);

  // ---- the attempt loop ----------------------------------------------------------------

  /// Asks the retry policy; sleeps the back-off when it says retry (never past the
  /// call's deadline: a back-off that would end after it gives up at once).
  boost::asio::awaitable<attempt_next> again(call_state& cs, const gemini::error& err);

  /// Waits `d` (virtually, when the clock policy is a manual clock). False when cancelled.
  boost::asio::awaitable<bool> sleep_for(std::chrono::milliseconds d);

  static gemini::error cancelled_after(const gemini::error& last) {
    gemini::error e(errc::cancelled, "cancelled while backing off after: " + last.message);
    e.partial_text = last.partial_text;
    return e;
  }

  /// The one attempt loop. `send` says where each attempt goes (detail::own_*, or a
  /// routed_call whose endpoint the router chooses per attempt).
  template <class R, class Sender>
  boost::asio::awaitable<result<R>> attempts(call_state& cs, Sender& sender);

  bool resume_streams() const {
    if constexpr (requires { route_.options().resume_streams; })
      return route_.options().resume_streams;
    else
      return false;
  }

  // ---- observe -------------------------------------------------------------------------

  template <class Make>
  void note(Make&& make) {
    observe_.record(std::forward<Make>(make));
  }
  observe::event event_of(observe::event_kind k, const call_state& cs,
                          const gemini::error* err = nullptr, std::ptrdiff_t endpoint = -1) const {
    observe::event e;
    e.kind = k;
    e.operation = cs.op;
    e.model = cs.cost.model;
    e.tenant = cs.cost.tenant;
    e.attempt = cs.retry.attempts;
    e.endpoint = endpoint;
    e.error = err;
    e.call = cs.cost.call;
    e.user = cs.user;
    e.labels = cs.labels;
    e.traceparent = cs.traceparent;
    e.server_address = base_.origin.host;
    e.server_port = base_.origin.port;
    e.provider = provider_name();
    if constexpr (numbers_origin)
      e.origin = origin_.id;  // base_ does not change after the constructor
    return e;
  }
  template <class T>
  void note_end(const call_state& cs, const result<T>& r) {
    note([&] {
      observe::event e = event_of(observe::event_kind::call_end, cs, r ? nullptr : &r.error());
      if constexpr (requires { r->usage; }) {
        if (r) {
          // An answer from the cache (or another call's, joined) used no tokens and cost
          // nothing: its usage is the original call's.
          if constexpr (requires { r->delivery.from; }) {
            const auto from = r->delivery.from;
            if (from != wire::source::cache && from != wire::source::stale_cache &&
                from != wire::source::shared)
              e.usage = &r->usage;
          } else {
            e.usage = &r->usage;
          }
          e.response_model = r->model_version;
        }
      }
      if constexpr (requires { r->response_id; }) {
        if (r) e.response_id = r->response_id;
      }
      if constexpr (requires { r->candidates.front().avg_logprobs; }) {
        if (e.usage && !r->candidates.empty() && r->candidates.front().avg_logprobs)
          e.avg_logprobs = &*r->candidates.front().avg_logprobs;  // this call's own answer
      }
      e.elapsed = transport::clock_type::now() - cs.began;
      e.chunks = cs.chunks;
      if (cs.chunks > 0) e.first_chunk = cs.first_chunk - cs.began;
      return e;
    });
  }

  /// The breaker at `slot` (0: the client's own, i + 1: the router's endpoint i, named
  /// `name`) may have changed state: told as a breaker_state event when it differs from
  /// what was last told for that slot. Runs on the client's executor (like the transport);
  /// never throws (it runs in releasing paths).
  template <class B>
  void watch_breaker(B& b, std::size_t slot, std::string_view name, std::string_view url,
                     typename Clock::time_point now) noexcept {
    if constexpr (watches_breakers) {
      try {
        auto& slots = breakers_told_.slots;
        if (slot >= slots.size()) slots.resize(slot + 1);  // a reconfigured router grew
        auto& told = slots[slot];
        if (told.name != name || told.url != url) {  // another endpoint here: from closed
          told.name.assign(name);
          told.url.assign(url);
          told.state = breaker::state::closed;
        }
        const breaker::state s = b.current(now);
        const breaker::state was = std::exchange(told.state, s);
        if (was == s) return;
        note([&] {
          observe::event e;
          e.kind = observe::event_kind::breaker_state;
          e.endpoint = static_cast<std::ptrdiff_t>(slot) - 1;
          e.endpoint_name = told.name;
          e.breaker_from = was;
          e.breaker_to = s;
          e.server_address = base_.origin.host;
          e.server_port = base_.origin.port;
          e.provider = provider_name();
          return e;
        });
      } catch (...) {  // an observer's (or an allocation's) failure changes nothing here
      }
    }
    (void)b, (void)slot, (void)name, (void)url, (void)now;
  }
  void watch_own_breaker(typename Clock::time_point now) noexcept {
    if constexpr (watches_breakers && !none_policy<Breaker>)
      watch_breaker(breaker_, 0, breakers_told_.slots[0].name, {}, now);
    (void)now;
  }
  void watch_endpoint_breaker(std::size_t i, typename Clock::time_point now) noexcept {
    if constexpr (watches_breakers && !none_policy<Route>) {
      if constexpr (requires { route_.breaker_of(i).current(now); }) {
        if (i >= route_.size()) return;  // the router shrank while the attempt ran
        std::string buf;
        watch_breaker(route_.breaker_of(i), i + 1, endpoint_label(i, buf), route_.at(i).base_url,
                      now);
      }
    }
    (void)i, (void)now;
  }
  /// A router endpoint's name in metrics and logs: its own, or "#i" (in `buf`) without one.
  std::string_view endpoint_label(std::size_t i, std::string& buf) const noexcept {
    try {
      if constexpr (!none_policy<Route>) {
        if (i < route_.size() && !route_.at(i).name.empty()) return route_.at(i).name;
      }
      buf = "#" + std::to_string(i);
    } catch (...) {
    }
    return buf;
  }
  /// gen_ai.provider.name of the client's own endpoint (OpenTelemetry's values).
  std::string_view provider_name() const noexcept {
    return base_.origin.host.find("aiplatform.googleapis.com") != std::string::npos
               ? "gcp.vertex_ai"
               : "gcp.gemini";
  }
  /// attempt_end: what the transport's pool did since the previous one was told.
  void note_pool(observe::event& e) {
    if constexpr (watches_pool) {
      const auto& now = transport_.stats();
      auto delta = [](std::size_t a, std::size_t& b) {
        auto d = static_cast<std::uint32_t>(a - b);
        b = a;
        return d;
      };
      e.connections_opened = delta(now.connections_opened, pool_told_.pool[0]);
      e.connections_reused = delta(now.connections_reused, pool_told_.pool[1]);
      e.connections_stale = delta(now.stale_connections_dropped, pool_told_.pool[2]);
    }
    (void)e;
  }

  // ---- the calls -----------------------------------------------------------------------

  /// A unary call to the client's own endpoint (`opts`: call_options or default_call).
  template <class T, class Options>
  boost::asio::awaitable<result<T>> unary(observe::operation op, const char* method,
                                          std::string target, std::string body, Options&& opts,
                                          limit::cost c);

  template <class T, class Options>
  boost::asio::awaitable<result<T>> unary_loop(observe::operation op, const char* method,
                                               std::string target, std::string body, Options opts,
                                               limit::cost c);

  template <class Request, class Options>
  boost::asio::awaitable<result<wire::generate_content_response>> generate_call(Request&& req,
                                                                                Options&& o);

  /// generate() through every stage: guard, budget, cache (lookup, coalescing, store,
  /// stale-if-error), the attempts (own endpoint or routed), guard, observe, budget.
  boost::asio::awaitable<result<wire::generate_content_response>> generate_full(
      wire::generate_content_request req, call_options o);

  /// Steps 1-2 and the call's start: guard, encode, begin, budget. The body, or the error.
  result<std::string> prepare(wire::generate_content_request& req, const call_options& o,
                              const guard::call_info& gi, typename guard_stage_t::call& gc,
                              typename budget_stage_t::call& bc, std::optional<call_state>& cs,
                              observe::operation op);

  /// The budget's view of a call.
  budget::request budget_request_of(const wire::generate_content_request& req,
                                    const call_options& o, const call_state& cs) const {
    auto max_out = max_output_of(req);
    return {o.tenant, o.user, model_of(o), cs.cost.tokens - max_out, max_out};
  }
  /// Step 2 for a budget that admits through an awaitable (prepare() did the others').
  boost::asio::awaitable<std::optional<gemini::error>> reserve_async(
      const wire::generate_content_request& req, const call_options& o,
      typename budget_stage_t::call& bc, const call_state& cs);

  /// The budget's advice for an admitted call (past a soft limit): a compacted prompt
  /// (re-encoded into `body`), a cheaper model (in `o`, the call's cost and `gi`).
  std::optional<gemini::error> follow_advice(wire::generate_content_request& req, call_options& o,
                                             std::string& body, call_state& cs,
                                             guard::call_info& gi,
                                             const typename budget_stage_t::call& bc);

  /// Step 6: guard filter, observe, budget settle (on success; released otherwise).
  result<wire::generate_content_response> finish_call(result<wire::generate_content_response> r,
                                                      const guard::call_info& gi,
                                                      typename guard_stage_t::call& gc,
                                                      typename budget_stage_t::call& bc,
                                                      const call_state& cs);

  /// Past the cache: over the router's endpoints, or to the client's own.
  template <class Deliver>
  boost::asio::awaitable<result<wire::generate_content_response>> send_generate(
      wire::generate_content_request& req, std::string& body, const call_options& o, call_state& cs,
      Deliver* deliver);
  struct no_deliver {
    void operator()(wire::generate_content_response&) {}
  };

  /// Steps 3 and 5: lookup → join an identical request in flight, or send → store →
  /// stale-if-error.
  boost::asio::awaitable<result<wire::generate_content_response>> through_cache(
      wire::generate_content_request& req, std::string& body, const call_options& o,
      call_state& cs);

  /// stream(): guard, budget, the attempts with every chunk filtered, then step 6.
  boost::asio::awaitable<result<wire::generate_content_response>> stream_call(
      wire::generate_content_request req, chunk_callback on_chunk, call_options o);

  // ---- state ---------------------------------------------------------------------------

  struct no_gate {
    void wake() noexcept {}
  };
  struct no_flights {};  // a distinct empty type: two of the same type cannot overlap

  executor_type ex_;
  client_options opts_;
  Transport transport_;
  transport::base_url base_;
  std::optional<gemini::error> config_error_;
  std::string generate_target_;  // base path + models/{model}:generateContent
  [[no_unique_address]] Cache cache_;
  [[no_unique_address]] Limit limit_;
  [[no_unique_address]] Breaker breaker_;
  [[no_unique_address]] Retry retry_;
  [[no_unique_address]] Route route_;
  [[no_unique_address]] guard_stage_t guard_;
  [[no_unique_address]] budget_stage_t budget_;
  [[no_unique_address]] observe_stage_t observe_;
  [[no_unique_address]] Clock clock_;
  [[no_unique_address]] typename S::sync sync_;
  // The limiter's wait queue exists only when the limit slot is used.
  [[no_unique_address]] std::conditional_t<none_policy<Limit>, no_gate, limit_gate<Limit, Clock>>
      gate_;
  // Identical requests in flight, only with a cache policy.
  [[no_unique_address]] std::conditional_t<none_policy<Cache>, no_flights, flight_table> flights_;
  // What the observer was last told of the breakers and of the pool: only with an observer
  // and something to watch (empty types otherwise, so an unused slot costs no space).
  struct breakers_told {
    struct slot {
      breaker::state state = breaker::state::closed;
      std::string name;  // [0] the client's host:port, [i + 1] endpoint i's label
      std::string url;   // endpoint i's base_url (an unnamed endpoint's identity)
    };
    std::vector<slot> slots;
  };
  struct pool_told {
    std::size_t pool[3] = {0, 0, 0};  // connections opened, reused, stale
  };
  // Numbers this pipeline's origin for observers (observe::event::origin): never reused.
  // Only for an observer with state (one that can remember it); an empty one is told 0.
  struct numbered_origin {
    std::uint64_t id = next();
    static std::uint64_t next() noexcept {
      static std::atomic<std::uint64_t> n{0};
      return ++n;
    }
  };
  struct no_origin {};
  [[no_unique_address]] std::conditional_t<numbers_origin, numbered_origin, no_origin> origin_;
  struct no_breakers_told {};
  struct no_pool_told {};
  [[no_unique_address]] std::conditional_t<watches_breakers, breakers_told, no_breakers_told>
      breakers_told_;
  [[no_unique_address]] std::conditional_t<watches_pool, pool_told, no_pool_told> pool_told_;
};

}  // namespace detail
}  // namespace v1
}  // namespace gemini

#include <gemini/detail/impl/pipeline_attempts.hpp>
#include <gemini/detail/impl/pipeline_calls.hpp>
