// gemini-cxx — the completion-token form of a call (async_generate & co.): the call's
// awaitable is spawned on the client's executor and its result delivered as
// `void(error_code, T)` to any Asio completion token (docs/decisions/0010).
#pragma once

#include <gemini/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace detail {

/// Runs the call made by `make` (inside the spawned coroutine, on the client's executor)
/// and holds its result. A cancellation thrown at one of its co_awaits (Asio throws
/// operation_aborted at every co_await once a terminal cancellation has landed) becomes
/// errc::cancelled, and so cannot escape the completion.
template <class T, class Make>
boost::asio::awaitable<std::optional<result<T>>> held(Make make) {
  std::optional<result<T>> out;
  try {
    auto r = co_await make();  // named: no temporary across the co_await (decision 0004)
    out.emplace(std::move(r));
  } catch (const boost::system::system_error& e) {
    if (e.code() != boost::asio::error::operation_aborted) throw;
    out.emplace(gemini::error(errc::cancelled, "the call was cancelled"));
  }
  co_await boost::asio::this_coro::throw_if_cancelled(false);  // co_spawn's last co_await
  co_return out;
}

/// Starts one call for async_initiate. `make()` creates the call's awaitable; it is invoked
/// in the spawned coroutine on the client's executor, so nothing of the call (its deadline,
/// a breaker's permit) starts before the operation is launched (deferred) or on the
/// initiating thread (use_future). The handler's cancellation slot reaches the call
/// (co_spawn forwards a terminal cancellation, emitted on the client's executor); the
/// handler runs on its associated executor, whose work is tracked until then.
template <class T>
struct initiate_call {
  boost::asio::any_io_executor ex;

  template <class Handler, class Make>
  void operator()(Handler&& handler, Make make, gemini::error* detail) const {
    namespace asio = boost::asio;
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto work = asio::prefer(asio::get_associated_executor(handler, ex),
                             asio::execution::outstanding_work.tracked);
    asio::co_spawn(
        ex, held<T>(std::move(make)),
        asio::bind_cancellation_slot(
            slot, asio::bind_executor(
                      ex, [h = std::forward<Handler>(handler), work = std::move(work), detail](
                              std::exception_ptr ep, std::optional<result<T>> r) mutable {
                        // Only a programming error is left here (e.g. a chunk handler that
                        // threw): it leaves the io_context's run().
                        if (ep) std::rethrow_exception(ep);
                        if (*r) {
                          if (detail) *detail = gemini::error();
                          asio::dispatch(work,
                                         asio::append(std::move(h), error_code(), std::move(**r)));
                          return;
                        }
                        error_code ec = r->error().code;
                        if (detail) *detail = std::move(*r).error();
                        asio::dispatch(work, asio::append(std::move(h), ec, T{}));
                      })));
  }
};

/// The call made by `make` delivered to `token` as void(error_code, T); on an error T is
/// value-initialized and the whole gemini::error goes to `*detail` when given (reset to a
/// default error on success).
template <class T, class Make, class Token>
auto async_call(const boost::asio::any_io_executor& ex, Make make, gemini::error* detail,
                Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, T)>(initiate_call<T>{ex}, token,
                                                                 std::move(make), detail);
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
