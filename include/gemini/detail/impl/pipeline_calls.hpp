// gemini-cxx — the pipeline's calls: unary, generate (guard, budget, cache, attempts,
// guard, observe, budget) and stream. Included at the end of detail/pipeline.hpp.
#pragma once

#include <gemini/detail/pipeline.hpp>

namespace gemini {
inline namespace v1 {
namespace detail {

template <class S>
template <class T, class Options>
boost::asio::awaitable<result<T>> pipeline<S>::unary(observe::operation op, const char* method,
                                                     std::string target, std::string body,
                                                     Options&& opts, limit::cost c) {
  if constexpr (single_shot && transport::finishing_transport<Transport>) {
    // The loop unrolled for its one attempt: the same permit, no frame of our own.
    if (config_error_) return ready<T>(*config_error_);
    call_state cs = begin_call(options_of(opts), c, op);
    cs.retry.attempts = 1;
    permit p(*this, cs.cost);
    if (auto e = p.open(cs)) return ready<T>(std::move(*e));
    return transport_.request_then(
        make_request(method, std::move(target), std::move(body), cs.traceparent), cs.limits,
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

template <class S>
template <class T, class Options>
boost::asio::awaitable<result<T>> pipeline<S>::unary_loop(observe::operation op, const char* method,
                                                          std::string target, std::string body,
                                                          Options opts, limit::cost c) {
  if (config_error_) co_return *config_error_;
  call_state cs = begin_call(options_of(opts), c, op);
  note([&] { return event_of(observe::event_kind::call_start, cs); });
  own_unary<T> s{method, &target, &body};
  auto r = co_await attempts<T>(cs, s);
  note_end(cs, r);
  co_return r;
}

template <class S>
template <class Request, class Options>
boost::asio::awaitable<result<wire::generate_content_response>> pipeline<S>::generate_call(
    Request&& req, Options&& o) {
  if constexpr (plain_generate) {
    // Encoding is synchronous; only the exchange is a coroutine (one frame fewer a call).
    auto body = encode_generate(req, opts_.max_request_bytes);
    if (!body) return ready<wire::generate_content_response>(std::move(body).error());
    auto c = estimate(req, body->size(), options_of(o).prompt_tokens);
    std::string target = method_target(options_of(o), "generateContent");
    return unary<wire::generate_content_response>(observe::operation::generate_content, "POST",
                                                  std::move(target), std::move(*body),
                                                  std::forward<Options>(o), c);
  } else {
    return generate_full(wire::generate_content_request(std::forward<Request>(req)),
                         own_options(std::forward<Options>(o)));
  }
}

template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> pipeline<S>::generate_full(
    wire::generate_content_request req, call_options o) {
  if (config_error_) co_return *config_error_;
  guard::call_info gi{o.tenant, o.user, model_of(o), false};
  std::string requested;  // what the guard saw, alive when the budget's advice changes o.model
  if constexpr (budget_stage_t::advises) {
    requested = model_of(o);
    gi.model = requested;
  }
  typename guard_stage_t::call gc;
  typename budget_stage_t::call bc;
  std::optional<call_state> cs;
  auto body = prepare(req, o, gi, gc, bc, cs, observe::operation::generate_content);
  if (!body) co_return std::move(body).error();
  if constexpr (budget_stage_t::async) {
    if (auto e = co_await reserve_async(req, o, bc, *cs)) co_return std::move(*e);
  }
  if constexpr (budget_stage_t::advises) {
    if (auto e = follow_advice(req, o, *body, *cs, gi, bc)) {
      result<wire::generate_content_response> r = std::move(*e);
      note_end(*cs, r);
      co_return r;
    }
  }
  std::optional<result<wire::generate_content_response>> r;
  try {
    // Once a terminal cancellation has landed, Asio throws at every co_await (also one that
    // follows an async cache lookup that returned normally): a value, like every failure.
    if constexpr (!none_policy<Cache>) {
      if (o.cache != cache_mode::no_store) r.emplace(co_await through_cache(req, *body, o, *cs));
    }
    if (!r)
      r.emplace(co_await send_generate(req, *body, o, *cs, static_cast<no_deliver*>(nullptr)));
  } catch (const boost::system::system_error& e) {
    r.emplace(from_exception(e));
  }
  co_return finish_call(std::move(*r), gi, gc, bc, *cs);
}

template <class S>
result<std::string> pipeline<S>::prepare(wire::generate_content_request& req, const call_options& o,
                                         const guard::call_info& gi,
                                         typename guard_stage_t::call& gc,
                                         typename budget_stage_t::call& bc,
                                         std::optional<call_state>& cs, observe::operation op) {
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
  cs.emplace(begin_call(o, estimate(req, body->size(), o.prompt_tokens), op));
  note([&] { return event_of(observe::event_kind::call_start, *cs); });
  if constexpr (!budget_stage_t::async) {
    if (auto e = budget_.before(bc, clock_, budget_request_of(req, o, *cs))) {
      note([&] { return event_of(observe::event_kind::budget_rejected, *cs, &*e); });
      return std::move(*e);
    }
    if (budget_.soft(bc))
      note([&] { return event_of(observe::event_kind::budget_soft_limit, *cs); });
  }
  return body;
}

template <class S>
std::optional<gemini::error> pipeline<S>::follow_advice(wire::generate_content_request& req,
                                                        call_options& o, std::string& body,
                                                        call_state& cs, guard::call_info& gi,
                                                        const typename budget_stage_t::call& bc) {
  const budget::advice a = budget_.advice(bc);
  if (a.compact_prompt || a.max_prompt_tokens > 0) {
    if (a.compact_prompt) prompt::compact(req);
    if (a.max_prompt_tokens > 0) (void)prompt::trim_history(req, a.max_prompt_tokens);
    auto b = encode_generate(req, opts_.max_request_bytes);
    if (!b) return std::move(b).error();
    body = std::move(*b);
  }
  if (!a.model.empty() && a.model != model_of(o)) {
    o.model = std::string(a.model);  // the views of the old name are replaced next
    cs.cost.model = o.model;
    gi.model = o.model;
  }
  return std::nullopt;
}

template <class S>
boost::asio::awaitable<std::optional<gemini::error>> pipeline<S>::reserve_async(
    const wire::generate_content_request& req, const call_options& o,
    typename budget_stage_t::call& bc, const call_state& cs) {
  std::optional<gemini::error> e;
  try {
    e = co_await budget_.async_before(bc, clock_, budget_request_of(req, o, cs));
  } catch (const boost::system::system_error& x) {  // cancellation thrown at the co_await
    e = from_exception(x);
  }
  if (e) note([&] { return event_of(observe::event_kind::budget_rejected, cs, &*e); });
  if (!e && budget_.soft(bc))
    note([&] { return event_of(observe::event_kind::budget_soft_limit, cs); });
  co_return e;
}

template <class S>
result<wire::generate_content_response> pipeline<S>::finish_call(
    result<wire::generate_content_response> r, const guard::call_info& gi,
    typename guard_stage_t::call& gc, typename budget_stage_t::call& bc, const call_state& cs) {
  std::optional<gemini::error> refused;
  if (r) refused = guard_.after(gc, *r, gi);
  auto charge = [&](const wire::generate_content_response& a) {
    bool from_cache = a.delivery.from == wire::source::cache ||
                      a.delivery.from == wire::source::stale_cache ||
                      a.delivery.from == wire::source::shared;
    budget_.after(bc, budget::actual{from_cache ? nullptr : &a.usage, a.model_version, from_cache});
  };
  if (refused) {  // an answer the guard refuses was still paid for: the budget is charged
    wire::generate_content_response answered = std::move(*r);
    refused->partial_text.clear();
    r = std::move(*refused);
    note_end(cs, r);
    charge(answered);
    return r;
  }
  note_end(cs, r);
  if (r) charge(*r);
  return r;
}

template <class S>
template <class Deliver>
boost::asio::awaitable<result<wire::generate_content_response>> pipeline<S>::send_generate(
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

template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> pipeline<S>::through_cache(
    wire::generate_content_request& req, std::string& body, const call_options& o, call_state& cs) {
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
    note([&] {
      observe::event e = event_of(observe::event_kind::cache_store, cs);
      if constexpr (requires { cache_.stats().entries + cache_.stats().bytes; }) {
        const auto st = cache_.stats();
        e.cache_entries = static_cast<std::int64_t>(st.entries);
        e.cache_bytes = static_cast<std::int64_t>(st.bytes);
      }
      return e;
    });
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

template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> pipeline<S>::stream_call(
    wire::generate_content_request req, chunk_callback on_chunk, call_options o) {
  if (config_error_) co_return *config_error_;
  guard::call_info gi{o.tenant, o.user, model_of(o), true};
  std::string requested;  // what the guard saw, alive when the budget's advice changes o.model
  if constexpr (budget_stage_t::advises) {
    requested = model_of(o);
    gi.model = requested;
  }
  typename guard_stage_t::call gc;
  typename budget_stage_t::call bc;
  std::optional<call_state> cs;
  auto body = prepare(req, o, gi, gc, bc, cs, observe::operation::stream_generate_content);
  if (!body) co_return std::move(body).error();
  if constexpr (budget_stage_t::async) {
    if (auto e = co_await reserve_async(req, o, bc, *cs)) co_return std::move(*e);
  }
  if constexpr (budget_stage_t::advises) {
    if (auto e = follow_advice(req, o, *body, *cs, gi, bc)) {
      result<wire::generate_content_response> r = std::move(*e);
      note_end(*cs, r);
      co_return r;
    }
  }
  auto deliver = [&](wire::generate_content_response& chunk) {
    if (cs->chunks++ == 0) {
      cs->first_chunk = transport::clock_type::now();
      note([&] {
        auto e = event_of(observe::event_kind::first_chunk, *cs);
        e.elapsed = cs->first_chunk - cs->began;
        return e;
      });
    }
    guard_.chunk(gc, chunk, gi);
    on_chunk(std::as_const(chunk));
  };
  std::optional<result<wire::generate_content_response>> r;
  try {
    r.emplace(co_await send_generate(req, *body, o, *cs, &deliver));
  } catch (const boost::system::system_error& e) {  // cancellation thrown at the co_await
    r.emplace(from_exception(e));
  }
  co_return finish_call(std::move(*r), gi, gc, bc, *cs);
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
