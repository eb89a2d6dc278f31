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
#include <gemini/config.hpp>
#include <gemini/detail/attempt.hpp>
#include <gemini/detail/flight_table.hpp>
#include <gemini/detail/limit_gate.hpp>
#include <gemini/detail/request.hpp>
#include <gemini/detail/stages.hpp>
#include <gemini/detail/stream_reader.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/retry/concept.hpp>
#include <gemini/route/concept.hpp>
#include <gemini/route/detail/hedge.hpp>
#include <gemini/route/detail/routed_call.hpp>
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
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

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
                "(see docs/client.md#transport)");
  static_assert(declares_slot<Cache, slot::cache>,
                "gemini: the `cache` slot type must declare `using slot = gemini::slot::cache;`");
  static_assert(none_policy<Cache> || cache::cache_policy<Cache>,
                "gemini: the `cache` slot needs behaviour() and either lookup(key, now) / "
                "store(key, response_ptr, ttl, now) or async_lookup / async_store returning "
                "awaitables (see docs/cache.md)");
  static_assert(declares_slot<Limit, slot::limit>,
                "gemini: the `limit` slot type must declare `using slot = gemini::slot::limit;`");
  static_assert(none_policy<Limit> || limit::limit_policy<Limit>,
                "gemini: the `limit` slot needs try_acquire(cost, now) -> grant, "
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
  static_assert(declares_slot<typename S::sync, slot::sync>,
                "gemini: the `sync` slot type must declare `using slot = gemini::slot::sync;`");

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
  /// generate() with nothing before or around the attempts: encoded, then unary().
  static constexpr bool plain_generate =
      none_policy<Cache> && none_policy<Route> && !guard_stage_t::active && !budget_stage_t::active;

 public:
  template <class TransportOptions>
  pipeline(executor_type ex, client_options opts, TransportOptions topts)
      : ex_(ex), opts_(std::move(opts)), transport_(ex, topts), cache_(make_cache(ex)) {
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
  }

  static Cache make_cache(const executor_type& ex) {
    if constexpr (std::is_constructible_v<Cache, executor_type>)
      return Cache(ex);
    else
      return Cache();
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

  transport::http_request make_request(const char* method, std::string target,
                                       std::string body) const {
    transport::http_request r;
    r.origin = base_.origin;
    if (std::strcmp(method, "POST") != 0) r.method = method;  // "POST" is the default
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers.reserve(2);
    auto add = [&r](const char* name, const std::string& value) {
      auto& h = r.headers.emplace_back();  // built in place: no header temporary to move
      h.name = name;
      h.value = value;
    };
    if (!opts_.key.empty()) add("x-goog-api-key", opts_.key.reveal());
    add("x-goog-api-client", client_header);
    return r;
  }

  /// The HTTP request for endpoint `ep` of a routed call, its body encoded once per format.
  template <class Deliver>
  result<transport::http_request> endpoint_request(const route::endpoint& ep,
                                                   route::detail::routed_call<Deliver>& rc) const {
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
    if (auto ra = resp.header_value("retry-after"); !ra.empty()) wire::apply_retry_after(e, ra);
    return e;
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
      if (auto ra = resp->header_value("retry-after"); !ra.empty()) wire::apply_retry_after(e, ra);
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
      if constexpr (requires { s->headers(); }) {
        for (auto const& hd : s->headers())
          if (transport::detail::iequals(hd.name, "retry-after"))
            wire::apply_retry_after(r.error(), hd.value);
      }
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
  boost::asio::awaitable<result<T>> send(own_unary<T>& s, permit&, const call_state& cs) {
    // Without a retry policy the body is sent once: moved into the request, not copied.
    if constexpr (none_policy<Retry>)
      return exchange<T>(make_request(s.method, std::move(*s.target), std::move(*s.body)),
                         cs.limits);
    else
      return exchange<T>(make_request(s.method, *s.target, *s.body), cs.limits);
  }

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
                                                                       const call_state& cs) {
    return stream_exchange(make_request("POST", *s.target, *s.body), false, cs.limits, *s.deliver,
                           s.delivered_);
  }

  /// A routed call: the endpoint the permit holds, unary (maybe hedged) or streamed.
  template <class Deliver>
  boost::asio::awaitable<result<wire::generate_content_response>> send(
      route::detail::routed_call<Deliver>& rc, permit& p, const call_state& cs) {
    auto i = static_cast<std::size_t>(p.endpoint());
    const route::endpoint& ep = route_.at(i);
    rc.delivered_ = false;
    auto h = endpoint_request(ep, rc);
    if (!h) co_return std::move(h).error();
    if (rc.streaming())
      co_return co_await stream_exchange(std::move(*h), ep.provider == route::provider::openai,
                                         cs.limits, *rc.deliver, rc.delivered_);
    if constexpr (requires { route_.hedge_delay(i); }) {
      if (auto delay = route_.hedge_delay(i)) {
        auto first = [&](std::shared_ptr<route::detail::race_state>& st) {
          start_racer(st, 0, i, std::move(*h), cs);
        };
        auto second = [&](std::shared_ptr<route::detail::race_state>& st) {
          auto failed = rc.failed;
          failed[i] = "hedged";  // not the same endpoint twice
          auto ch = route_.choose(rc.traits, failed, clock_.now());
          if (!ch.index) return;
          note([&] {
            return event_of(observe::event_kind::hedge, cs, nullptr,
                            static_cast<std::ptrdiff_t>(*ch.index));
          });
          auto h2 = endpoint_request(route_.at(*ch.index), rc);
          if (!h2) {
            route_.finished(*ch.index, &h2.error(), {}, clock_.now(), cs.cost.tokens, 0);
            return;
          }
          start_racer(st, 1, *ch.index, std::move(*h2), cs);
        };
        auto raced = co_await route::detail::hedged(ex_, *delay, first, second);
        if (raced.other_failed) rc.failed[*raced.other_failed] = "failed: " + raced.other_error;
        p.endpoint_recorded(raced.endpoint);
        co_return std::move(raced.r);
      }
    }
    co_return co_await endpoint_attempt(std::move(*h), ep.provider, cs.limits);
  }

  /// Starts racer k of a hedged attempt on endpoint i (route/detail/hedge.hpp). The race
  /// waits for every racer, so `this` outlives them.
  void start_racer(const std::shared_ptr<route::detail::race_state>& st, int k, std::size_t i,
                   transport::http_request h, const call_state& cs) {
    st->endpoint[k] = i;
    ++st->started;
    // The racer returns every failure as a value: the completion handler never sees one.
    boost::asio::co_spawn(
        ex_, racer(st, k, i, std::move(h), route_.at(i).provider, cs.limits, cs.cost.tokens),
        boost::asio::bind_cancellation_slot(st->cancel[k].slot(), [](std::exception_ptr e) {
          if (e) std::terminate();  // unreachable: racer() catches everything
        }));
  }

  boost::asio::awaitable<void> racer(std::shared_ptr<route::detail::race_state> st, int k,
                                     std::size_t i, transport::http_request h, route::provider prov,
                                     transport::attempt_limits lim, std::int64_t reserved) {
    auto started = clock_.now();
    std::optional<result<wire::generate_content_response>> r;
    try {
      r.emplace(co_await endpoint_attempt(std::move(h), prov, lim));
    } catch (const boost::system::system_error& e) {
      r.emplace(from_exception(e));
    } catch (const std::exception& e) {
      r.emplace(gemini::error(errc::transport, e.what()));
    }
    auto now = clock_.now();
    route_.finished(i, *r ? nullptr : &r->error(), now - started, now, reserved,
                    *r ? (*r)->usage.total_token_count : 0);
    st->outcome[k] = std::move(*r);
    ++st->finished;
    st->wake.cancel();
  }

  // ---- the attempt loop ----------------------------------------------------------------

  enum class next { give_up, retry, cancelled };

  /// Asks the retry policy; sleeps the back-off when it says retry (never past the
  /// call's deadline: a back-off that would end after it gives up at once).
  boost::asio::awaitable<next> again(call_state& cs, const gemini::error& err) {
    if constexpr (none_policy<Retry>) {
      co_return next::give_up;
    } else {
      auto d = retry_.on_failure(err, cs.retry, clock_.now());
      if (d.action != retry::action::retry) co_return next::give_up;
      if (saturating_add(transport::clock_type::now(), d.delay) >= cs.limits.deadline)
        co_return next::give_up;
      note([&] {
        observe::event e = event_of(observe::event_kind::retry, cs);
        e.error = &err;
        e.delay = d.delay;
        return e;
      });
      bool slept = co_await sleep_for(d.delay);
      co_return slept ? next::retry : next::cancelled;
    }
  }

  /// Waits `d` (virtually, when the clock policy is a manual clock). False when cancelled.
  boost::asio::awaitable<bool> sleep_for(std::chrono::milliseconds d) {
    if constexpr (requires(Clock & c) { c.advance(d); }) {
      clock_.advance(d);
      co_return true;
    } else {
      boost::asio::steady_timer t(ex_, d);
      auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      co_return !ec;
    }
  }

  static gemini::error cancelled_after(const gemini::error& last) {
    gemini::error e(errc::cancelled, "cancelled while backing off after: " + last.message);
    e.partial_text = last.partial_text;
    return e;
  }

  /// The one attempt loop. `send` says where each attempt goes (detail::own_*, or a
  /// routed_call whose endpoint the router chooses per attempt).
  template <class R, class Sender>
  boost::asio::awaitable<result<R>> attempts(call_state& cs, Sender& sender) {
    std::optional<gemini::error> failure;
    try {
      std::optional<result<R>> last;  // routed: the previous endpoint's outcome
      for (;;) {
        ++cs.retry.attempts;
        permit p(*this, cs.cost);
        if (auto e = p.open(cs)) {
          if (e->code == errc::circuit_open)
            note([&] { return event_of(observe::event_kind::breaker_refused, cs, &*e); });
          co_return std::move(*e);
        }
        if constexpr (!none_policy<Limit>) {
          std::chrono::nanoseconds waited{0};
          auto e = co_await p.take_limit(cs, waited);
          if (e || waited.count() > 0)
            note([&] {
              observe::event ev =
                  event_of(observe::event_kind::limiter_wait, cs, e ? &*e : nullptr);
              ev.elapsed = waited;
              return ev;
            });
          if (e) co_return std::move(*e);
        }
        if constexpr (Sender::routed) {
          auto ch = route_.choose(sender.traits, sender.failed, clock_.now());
          if (!ch.index) {
            p.abandon();
            if (last && *last) co_return std::move(*last);  // every endpoint blocked it
            if (!last)
              co_return gemini::error(errc::unavailable,
                                      "no endpoint can take the request: " + ch.why_none);
            auto e = last->error();
            e.message = "no endpoint left (" + ch.why_none + "); last error: " + e.message;
            auto n = co_await again(cs, last->error());
            if (n == next::retry) {
              sender.new_round();
              continue;
            }
            if (n == next::cancelled) co_return cancelled_after(e);
            co_return e;
          }
          p.take_endpoint(*ch.index);
        }
        note([&] {
          return event_of(observe::event_kind::attempt_start, cs, nullptr, p.endpoint());
        });
        auto r = co_await send(sender, p, cs);
        p.finish(r);
        note([&] {
          observe::event e = event_of(observe::event_kind::attempt_end, cs,
                                      r ? nullptr : &r.error(), p.endpoint());
          if constexpr (requires { r->usage; }) {
            if (r) {
              e.usage = &r->usage;
              e.response_model = r->model_version;
            }
          }
          return e;
        });
        if constexpr (Sender::routed) {
          auto i = static_cast<std::size_t>(p.endpoint());
          if (r) {
            if (!sender.told.empty()) prepend_text(*r, sender.told);  // a resumed stream
            r->delivery.endpoint = static_cast<int>(i);
            if (sender.blocked_elsewhere(*r, i, route_.options().fallback_on_block)) {
              last = std::move(r);
              continue;
            }
            co_return std::move(r);
          }
          auto n = sender.after_failure(r.error(), i, resume_streams(), opts_.max_request_bytes);
          if (n == route::detail::routed_call<typename Sender::deliver_type>::next::give_up)
            co_return std::move(r);
          note([&] {
            return event_of(observe::event_kind::failover, cs, &r.error(), p.endpoint());
          });
          last = std::move(r);
          continue;  // the next endpoint now; the retry policy once none is left
        } else {
          if (r || sender.delivered()) co_return std::move(r);
          auto n = co_await again(cs, r.error());
          if (n == next::retry) continue;
          if (n == next::cancelled) co_return cancelled_after(r.error());
          co_return std::move(r);
        }
      }
    } catch (const boost::system::system_error& e) {
      failure = from_exception(e);
    }
    co_return std::move(*failure);
  }

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
  static observe::event event_of(observe::event_kind k, const call_state& cs,
                                 const gemini::error* err = nullptr, std::ptrdiff_t endpoint = -1) {
    observe::event e;
    e.kind = k;
    e.operation = cs.op;
    e.model = cs.cost.model;
    e.tenant = cs.cost.tenant;
    e.attempt = cs.retry.attempts;
    e.endpoint = endpoint;
    e.error = err;
    return e;
  }
  template <class T>
  void note_end(const call_state& cs, const result<T>& r) {
    note([&] {
      observe::event e = event_of(observe::event_kind::call_end, cs, r ? nullptr : &r.error());
      if constexpr (requires { r->usage; }) {
        if (r) {
          e.usage = &r->usage;
          e.response_model = r->model_version;
        }
      }
      e.elapsed = transport::clock_type::now() - cs.began;
      return e;
    });
  }

  // ---- the calls -----------------------------------------------------------------------

  /// A unary call to the client's own endpoint (`opts`: call_options or default_call).
  template <class T, class Options>
  boost::asio::awaitable<result<T>> unary(observe::operation op, const char* method,
                                          std::string target, std::string body, Options&& opts,
                                          limit::cost c) {
    if constexpr (single_shot && transport::finishing_transport<Transport>) {
      // The loop unrolled for its one attempt: the same permit, no frame of our own.
      if (config_error_) return ready<T>(*config_error_);
      call_state cs = begin_call(options_of(opts), c, op);
      cs.retry.attempts = 1;
      permit p(*this, cs.cost);
      if (auto e = p.open(cs)) return ready<T>(std::move(*e));
      return transport_.request_then(
          make_request(method, std::move(target), std::move(body)), cs.limits,
          [p = std::move(p)](result<transport::http_response>&& resp) mutable {
            auto r = to_result<T>(std::move(resp));
            p.finish(r);
            return r;
          });
    } else {
      return unary_loop<T>(op, method, std::move(target), std::move(body),
                           std::forward<Options>(opts), c);
    }
  }

  template <class T, class Options>
  boost::asio::awaitable<result<T>> unary_loop(observe::operation op, const char* method,
                                               std::string target, std::string body, Options opts,
                                               limit::cost c) {
    if (config_error_) co_return *config_error_;
    call_state cs = begin_call(options_of(opts), c, op);
    note([&] { return event_of(observe::event_kind::call_start, cs); });
    own_unary<T> s{method, &target, &body};
    auto r = co_await attempts<T>(cs, s);
    note_end(cs, r);
    co_return r;
  }

  template <class Request, class Options>
  boost::asio::awaitable<result<wire::generate_content_response>> generate_call(Request&& req,
                                                                                Options&& o) {
    if constexpr (plain_generate) {
      // Encoding is synchronous; only the exchange is a coroutine (one frame fewer a call).
      auto body = encode_generate(req, opts_.max_request_bytes);
      if (!body) return ready<wire::generate_content_response>(std::move(body).error());
      auto c = estimate(req, body->size());
      std::string target = method_target(options_of(o), "generateContent");
      return unary<wire::generate_content_response>(observe::operation::generate_content, "POST",
                                                    std::move(target), std::move(*body),
                                                    std::forward<Options>(o), c);
    } else {
      return generate_full(wire::generate_content_request(std::forward<Request>(req)),
                           own_options(std::forward<Options>(o)));
    }
  }

  /// generate() through every stage: guard, budget, cache (lookup, coalescing, store,
  /// stale-if-error), the attempts (own endpoint or routed), guard, observe, budget.
  boost::asio::awaitable<result<wire::generate_content_response>> generate_full(
      wire::generate_content_request req, call_options o) {
    if (config_error_) co_return *config_error_;
    const guard::call_info gi{o.tenant, o.user, model_of(o), false};
    typename guard_stage_t::call gc;
    typename budget_stage_t::call bc;
    std::optional<call_state> cs;
    auto body = prepare(req, o, gi, gc, bc, cs, observe::operation::generate_content);
    if (!body) co_return std::move(body).error();
    std::optional<result<wire::generate_content_response>> r;
    if constexpr (!none_policy<Cache>) {
      if (o.cache != cache_mode::no_store) r.emplace(co_await through_cache(req, *body, o, *cs));
    }
    if (!r)
      r.emplace(co_await send_generate(req, *body, o, *cs, static_cast<no_deliver*>(nullptr)));
    co_return finish_call(std::move(*r), gi, gc, bc, *cs);
  }

  /// Steps 1-2 and the call's start: guard, encode, begin, budget. The body, or the error.
  result<std::string> prepare(wire::generate_content_request& req, const call_options& o,
                              const guard::call_info& gi, typename guard_stage_t::call& gc,
                              typename budget_stage_t::call& bc, std::optional<call_state>& cs,
                              observe::operation op) {
    if (auto e = guard_.before(gc, req, gi)) {
      note([&] {
        call_state tmp;
        tmp.op = op;
        tmp.cost.model = model_of(o);
        tmp.cost.tenant = o.tenant;
        return event_of(observe::event_kind::guard_rejected, tmp, &*e);
      });
      return std::move(*e);
    }
    auto body = encode_generate(req, opts_.max_request_bytes);
    if (!body) return body;
    cs.emplace(begin_call(o, estimate(req, body->size()), op));
    note([&] { return event_of(observe::event_kind::call_start, *cs); });
    auto max_out = max_output_of(req);
    budget::request q{o.tenant, o.user, model_of(o), cs->cost.tokens - max_out, max_out};
    if (auto e = budget_.before(bc, clock_, q)) {
      note([&] { return event_of(observe::event_kind::budget_rejected, *cs, &*e); });
      return std::move(*e);
    }
    return body;
  }

  /// Step 6: guard filter, observe, budget settle (on success; released otherwise).
  result<wire::generate_content_response> finish_call(result<wire::generate_content_response> r,
                                                      const guard::call_info& gi,
                                                      typename guard_stage_t::call& gc,
                                                      typename budget_stage_t::call& bc,
                                                      const call_state& cs) {
    if (r) guard_.after(gc, *r, gi);
    note_end(cs, r);
    if (r) {
      bool from_cache = r->delivery.from == wire::source::cache ||
                        r->delivery.from == wire::source::stale_cache ||
                        r->delivery.from == wire::source::shared;
      budget_.after(bc,
                    budget::actual{from_cache ? nullptr : &r->usage, r->model_version, from_cache});
    }
    return r;
  }

  /// Past the cache: over the router's endpoints, or to the client's own.
  template <class Deliver>
  boost::asio::awaitable<result<wire::generate_content_response>> send_generate(
      wire::generate_content_request& req, std::string& body, const call_options& o, call_state& cs,
      Deliver* deliver) {
    if constexpr (!none_policy<Route>) {
      route::detail::routed_call<Deliver> rc(&req, std::move(body), route_.size(), deliver);
      co_return co_await attempts<wire::generate_content_response>(cs, rc);
    } else if (deliver) {
      std::string target = method_target(o, "streamGenerateContent") + "?alt=sse";
      own_stream<Deliver> s{&target, &body, deliver};
      co_return co_await attempts<wire::generate_content_response>(cs, s);
    } else {
      std::string target = method_target(o, "generateContent");
      own_unary<wire::generate_content_response> s{"POST", &target, &body};
      co_return co_await attempts<wire::generate_content_response>(cs, s);
    }
  }
  struct no_deliver {
    void operator()(wire::generate_content_response&) {}
  };

  /// Steps 3 and 5: lookup → join an identical request in flight, or send → store →
  /// stale-if-error.
  boost::asio::awaitable<result<wire::generate_content_response>> through_cache(
      wire::generate_content_request& req, std::string& body, const call_options& o,
      call_state& cs) {
    const cache::behaviour& b = cache_.behaviour();
    const cache::key k = cache::request_key(req, model_path(model_of(o)), o.tenant);
    cache::lookup_result found;
    if (o.cache == cache_mode::use) {
      if constexpr (cache::sync_backend<Cache>)
        found = cache_.lookup(k, clock_.now());
      else
        found = co_await cache_.async_lookup(k, clock_.now());
      if (found && !found.stale) {
        note([&] { return event_of(observe::event_kind::cache_hit, cs); });
        co_return delivered_copy(*found.value, wire::source::cache);
      }
      note([&] { return event_of(observe::event_kind::cache_miss, cs); });
    }
    flight_table::guard leader;
    if (b.coalesce && o.cache == cache_mode::use) {
      if (auto f = flights_.join_or_lead(k, leader)) {
        note([&] { return event_of(observe::event_kind::cache_coalesced, cs); });
        auto joined =
            co_await flight_table::wait(std::move(f), cs.limits.deadline, ex_, b.leader_failure);
        if (joined) co_return std::move(*joined);
      }
    }
    std::optional<result<wire::generate_content_response>> r;
    r.emplace(co_await send_generate(req, body, o, cs, static_cast<no_deliver*>(nullptr)));
    if (*r && b.should_store(**r)) {
      auto ttl = o.cache_ttl.count() > 0 ? o.cache_ttl : b.ttl;
      auto v = std::make_shared<const cache::response>(**r);
      if constexpr (cache::sync_backend<Cache>)
        cache_.store(k, std::move(v), ttl, clock_.now());
      else
        co_await cache_.async_store(k, std::move(v), ttl, clock_.now());
    } else if (!*r && found.stale && r->error().code != errc::cancelled) {
      note([&] {
        observe::event e = event_of(observe::event_kind::cache_hit, cs, &r->error());
        e.stale = true;
        return e;
      });
      r.emplace(delivered_copy(*found.value, wire::source::stale_cache));
    }
    leader.publish(&*r);
    co_return std::move(*r);
  }

  /// stream(): guard, budget, the attempts with every chunk filtered, then step 6.
  boost::asio::awaitable<result<wire::generate_content_response>> stream_call(
      wire::generate_content_request req, chunk_callback on_chunk, call_options o) {
    if (config_error_) co_return *config_error_;
    const guard::call_info gi{o.tenant, o.user, model_of(o), true};
    typename guard_stage_t::call gc;
    typename budget_stage_t::call bc;
    std::optional<call_state> cs;
    auto body = prepare(req, o, gi, gc, bc, cs, observe::operation::stream_generate_content);
    if (!body) co_return std::move(body).error();
    auto deliver = [&](wire::generate_content_response& chunk) {
      guard_.chunk(gc, chunk, gi);
      on_chunk(std::as_const(chunk));
    };
    auto r = co_await send_generate(req, *body, o, *cs, &deliver);
    co_return finish_call(std::move(r), gi, gc, bc, *cs);
  }

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
};

}  // namespace detail
}  // namespace v1
}  // namespace gemini
