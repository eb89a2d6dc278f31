// gemini-cxx — the pipeline's attempt loop and what one attempt sends (own endpoint,
// streamed, routed, hedged). Included at the end of detail/pipeline.hpp.
#pragma once

#include <gemini/detail/pipeline.hpp>

namespace gemini {
inline namespace v1 {
namespace detail {

template <class S>
template <class T>
boost::asio::awaitable<result<T>> pipeline<S>::send(own_unary<T>& s, permit&,
                                                    const call_state& cs) {
  // Without a retry policy the body is sent once: moved into the request, not copied.
  if constexpr (none_policy<Retry>)
    return exchange<T>(
        make_request(s.method, std::move(*s.target), std::move(*s.body), cs.traceparent),
        cs.limits);
  else
    return exchange<T>(make_request(s.method, *s.target, *s.body, cs.traceparent), cs.limits);
}

template <class S>
template <class Deliver>
boost::asio::awaitable<result<wire::generate_content_response>> pipeline<S>::send(
    own_stream<Deliver>& s, permit&, const call_state& cs) {
  return stream_exchange(make_request("POST", *s.target, *s.body, cs.traceparent), false, cs.limits,
                         *s.deliver, s.delivered_);
}

template <class S>
template <class Deliver>
boost::asio::awaitable<result<wire::generate_content_response>> pipeline<S>::send(
    route::detail::routed_call<Deliver>& rc, permit& p, const call_state& cs) {
  auto i = static_cast<std::size_t>(p.endpoint());
  const route::endpoint& ep = route_.at(i);
  rc.delivered_ = false;
  auto h = endpoint_request(ep, rc, cs.traceparent);
  if (!h) co_return std::move(h).error();
  if (rc.streaming())
    co_return co_await stream_exchange(std::move(*h), ep.provider == route::provider::openai,
                                       cs.limits, *rc.deliver, rc.delivered_);
  if constexpr (requires { route_.hedge_delay(i); }) {
    if (auto delay = route_.hedge_delay(i)) {
      auto first = [&](std::shared_ptr<route::detail::race_state>& st) {
        start_racer(st, 0, i, std::move(*h), cs, rc.traits.prompt_tokens);
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
        auto h2 = endpoint_request(route_.at(*ch.index), rc, cs.traceparent);
        if (!h2) {
          auto now = clock_.now();
          route_.finished(*ch.index, &h2.error(), {}, now, rc.traits.prompt_tokens, 0);
          watch_endpoint_breaker(*ch.index, now);
          return;
        }
        watch_endpoint_breaker(*ch.index, clock_.now());  // a half-open probe taken
        start_racer(st, 1, *ch.index, std::move(*h2), cs, rc.traits.prompt_tokens);
      };
      auto raced = co_await route::detail::hedged(ex_, *delay, first, second);
      // A race with both racers started: won (the hedge answered), lost (the first did) or,
      // when neither answered, failed (a cancelled call is neither).
      if (raced.racers == 2 && (raced.r || raced.r.error().code != errc::cancelled))
        note([&] {
          observe::event e =
              event_of(observe::event_kind::hedge_end, cs, raced.r ? nullptr : &raced.r.error(),
                       static_cast<std::ptrdiff_t>(raced.endpoint));
          e.hedge_won = raced.winner == 1 && raced.r.has_value();
          return e;
        });
      if (raced.other_failed) rc.failed[*raced.other_failed] = "failed: " + raced.other_error;
      p.endpoint_recorded(raced.endpoint);
      co_return std::move(raced.r);
    }
  }
  co_return co_await endpoint_attempt(std::move(*h), ep.provider, cs.limits);
}

template <class S>
void pipeline<S>::start_racer(const std::shared_ptr<route::detail::race_state>& st, int k,
                              std::size_t i, transport::http_request h, const call_state& cs,
                              std::int64_t reserved) {
  st->endpoint[k] = i;
  ++st->started;
  // The racer returns every failure as a value: the completion handler never sees one.
  boost::asio::co_spawn(
      ex_, racer(st, k, i, std::move(h), route_.at(i).provider, cs.limits, reserved),
      boost::asio::bind_cancellation_slot(st->cancel[k].slot(), [](std::exception_ptr e) {
        if (e) std::terminate();  // unreachable: racer() catches everything
      }));
}

template <class S>
boost::asio::awaitable<void> pipeline<S>::racer(std::shared_ptr<route::detail::race_state> st,
                                                int k, std::size_t i, transport::http_request h,
                                                route::provider prov, transport::attempt_limits lim,
                                                std::int64_t reserved) {
  auto started = clock_.now();
  std::optional<result<wire::generate_content_response>> r;
  try {
    r.emplace(co_await endpoint_attempt(std::move(h), prov, lim));
  } catch (const boost::system::system_error& e) {
    r.emplace(from_exception(e));
  } catch (const std::exception& e) {
    r.emplace(gemini::error(errc::transport, e.what()));
  } catch (...) {
    r.emplace(gemini::error(errc::transport, "the attempt failed with an unknown exception"));
  }
  auto now = clock_.now();
  route_.finished(i, *r ? nullptr : &r->error(), now - started, now, reserved,
                  *r ? (*r)->usage.total_token_count : 0);
  watch_endpoint_breaker(i, now);
  st->outcome[k] = std::move(*r);
  ++st->finished;
  st->wake.cancel();
}

template <class S>
boost::asio::awaitable<attempt_next> pipeline<S>::again(call_state& cs, const gemini::error& err) {
  if constexpr (none_policy<Retry>) {
    co_return attempt_next::give_up;
  } else {
    auto d = retry_.on_failure(err, cs.retry, clock_.now());
    if (d.action != retry::action::retry) co_return attempt_next::give_up;
    if (saturating_add(transport::clock_type::now(), d.delay) >= cs.limits.deadline)
      co_return attempt_next::give_up;
    note([&] {
      observe::event e = event_of(observe::event_kind::retry, cs);
      e.error = &err;
      e.delay = d.delay;
      return e;
    });
    bool slept = co_await sleep_for(d.delay);
    co_return slept ? attempt_next::retry : attempt_next::cancelled;
  }
}

template <class S>
boost::asio::awaitable<bool> pipeline<S>::sleep_for(std::chrono::milliseconds d) {
  if constexpr (requires(Clock & c) { c.advance(d); }) {
    clock_.advance(d);
    co_return true;
  } else {
    boost::asio::steady_timer t(ex_, d);
    auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
  }
}

template <class S>
template <class R, class Sender>
boost::asio::awaitable<result<R>> pipeline<S>::attempts(call_state& cs, Sender& sender) {
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
            observe::event ev = event_of(observe::event_kind::limiter_wait, cs, e ? &*e : nullptr);
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
          if (n == attempt_next::retry) {
            sender.new_round();
            continue;
          }
          if (n == attempt_next::cancelled) co_return cancelled_after(e);
          co_return e;
        }
        p.take_endpoint(*ch.index, sender.traits.prompt_tokens);
        watch_endpoint_breaker(*ch.index, clock_.now());  // a half-open probe taken
      }
      note([&] { return event_of(observe::event_kind::attempt_start, cs, nullptr, p.endpoint()); });
      auto r = co_await send(sender, p, cs);
      p.finish(r);
      std::string label;  // a routed endpoint's, when it has no name
      note([&] {
        observe::event e =
            event_of(observe::event_kind::attempt_end, cs, r ? nullptr : &r.error(), p.endpoint());
        if constexpr (Sender::routed)
          e.endpoint_name = endpoint_label(static_cast<std::size_t>(p.endpoint()), label);
        note_pool(e);
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
        note([&] { return event_of(observe::event_kind::failover, cs, &r.error(), p.endpoint()); });
        last = std::move(r);
        continue;  // the next endpoint now; the retry policy once none is left
      } else {
        if (r || sender.delivered()) co_return std::move(r);
        auto n = co_await again(cs, r.error());
        if (n == attempt_next::retry) continue;
        if (n == attempt_next::cancelled) co_return cancelled_after(r.error());
        co_return std::move(r);
      }
    }
  } catch (const boost::system::system_error& e) {
    failure = from_exception(e);
  }
  co_return std::move(*failure);
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
