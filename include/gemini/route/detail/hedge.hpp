// gemini-cxx — hedging: one attempt that, when it has not answered after a delay, races a
// second endpoint; the first success wins and the other racer is cancelled.
//
// The racers share one race_state (shared_ptr) and each records its own outcome with the
// router (the client's racer coroutine). The race does not return before every racer it started has
// finished (a loser is cancelled, which ends it at once), so no racer touches the client after the
// call ended, however soon the caller destroys the client.
#pragma once

#include <gemini/error.hpp>
#include <gemini/route/endpoint.hpp>
#include <gemini/transport/http.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace gemini {
inline namespace v1 {
namespace route::detail {

using response_result = result<wire::generate_content_response>;

/// Two racing attempts: their outcomes, shared with the spawned racers.
struct race_state {
  explicit race_state(const boost::asio::any_io_executor& ex) : wake(ex) {}
  boost::asio::steady_timer wake;  // cancelled by each finishing racer
  std::optional<response_result> outcome[2];
  boost::asio::cancellation_signal cancel[2];
  std::size_t endpoint[2] = {0, 0};
  int started = 0, finished = 0;
};

struct race_result {
  response_result r;
  std::size_t endpoint;
  std::optional<std::size_t> other_failed;  // the other endpoint, if it failed (not cancelled)
  std::string other_error;
  int winner = 0;  // the racer whose outcome `r` is (1: the hedge)
  int racers = 1;  // how many were started
};

/// The hedged attempt. `first(st)` starts racer 0 (on the endpoint whose router permit the
/// attempt holds); `second(st)` chooses an endpoint for racer 1 and starts it, or returns
/// false. Each racer stores its outcome in `st->outcome[k]`, counts `st->finished` and
/// cancels `st->wake` when it ends; it listens to `st->cancel[k]`.
template <class First, class Second>
boost::asio::awaitable<race_result> hedged(boost::asio::any_io_executor ex,
                                           std::chrono::milliseconds delay, First& first,
                                           Second& second) {
  auto st = std::make_shared<race_state>(ex);
  first(st);
  auto hedge_at = gemini::detail::saturating_add(transport::clock_type::now(), delay);
  bool hedge_tried = false;
  std::optional<race_result> out;
  try {
    while (!out) {
      for (int k = 0; k < st->started && !out; ++k) {
        if (st->outcome[k] && *st->outcome[k]) {  // a success: it wins
          int other = 1 - k;
          out.emplace(
              race_result{std::move(*st->outcome[k]), st->endpoint[k], std::nullopt, {}, k, 1});
          if (st->started == 2 && st->outcome[other] && !*st->outcome[other]) {
            out->other_failed = st->endpoint[other];
            out->other_error = st->outcome[other]->error().message;
          }
        }
      }
      if (out) break;
      if (st->finished == st->started && (hedge_tried || st->started == 2 || st->finished == 1)) {
        // Everything started has failed: report the last one, and the other if any.
        int last = st->started - 1;
        out.emplace(race_result{
            std::move(*st->outcome[last]), st->endpoint[last], std::nullopt, {}, last, 1});
        if (st->started == 2) {
          out->other_failed = st->endpoint[0];
          out->other_error = st->outcome[0]->error().message;
        }
        break;
      }
      st->wake.expires_at(hedge_tried ? transport::clock_type::time_point::max() : hedge_at);
      auto [ec] = co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      auto cs = co_await boost::asio::this_coro::cancellation_state;
      if (cs.cancelled() != boost::asio::cancellation_type::none) {
        out.emplace(race_result{gemini::error(errc::cancelled, "the call was cancelled"),
                                st->endpoint[0],
                                std::nullopt,
                                {},
                                0,
                                1});
        break;
      }
      if (!ec && !hedge_tried) {  // the delay passed without an answer: hedge
        hedge_tried = true;
        second(st);
      }
    }
  } catch (const boost::system::system_error&) {
    // Cancellation thrown at a co_await (the caller's state was already cancelled): the
    // racers are drained all the same.
    out.emplace(race_result{gemini::error(errc::cancelled, "the call was cancelled"),
                            st->endpoint[0],
                            std::nullopt,
                            {},
                            0,
                            1});
  }
  out->racers = st->started;
  // Drain: cancel the racers still running and wait for them (they end at once), so that
  // none outlives the call. The caller's own cancellation is already in `out`.
  for (int k = 0; k < st->started; ++k)
    if (!st->outcome[k]) st->cancel[k].emit(boost::asio::cancellation_type::terminal);
  if (st->finished < st->started) co_await boost::asio::this_coro::reset_cancellation_state();
  while (st->finished < st->started) {
    st->wake.expires_at(transport::clock_type::time_point::max());
    auto [ec] = co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)ec;
  }
  co_return std::move(*out);
}

}  // namespace route::detail
}  // namespace v1
}  // namespace gemini
