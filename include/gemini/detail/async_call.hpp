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
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace detail {

template <class T>
boost::asio::awaitable<std::optional<result<T>>> held(boost::asio::awaitable<result<T>> op) {
  auto r = co_await std::move(op);  // named: no temporary across the co_await (decision 0004)
  co_return std::optional<result<T>>(std::move(r));
}

/// Starts one call for async_initiate. The handler's cancellation slot reaches the call
/// (co_spawn forwards it to the coroutine); the handler runs on its associated executor,
/// whose work is tracked until then.
template <class T>
struct initiate_call {
  boost::asio::any_io_executor ex;

  template <class Handler>
  void operator()(Handler&& handler, boost::asio::awaitable<result<T>> op,
                  gemini::error* detail) const {
    namespace asio = boost::asio;
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto work = asio::prefer(asio::get_associated_executor(handler, ex),
                             asio::execution::outstanding_work.tracked);
    asio::co_spawn(ex, held(std::move(op)),
                   asio::bind_cancellation_slot(
                       slot, [h = std::forward<Handler>(handler), work = std::move(work), detail](
                                 std::exception_ptr ep, std::optional<result<T>> r) mutable {
                         // An exception is a programming error (e.g. thrown by a chunk handler): it
                         // leaves the io_context's run(), as a detached coroutine's would not.
                         if (ep) std::rethrow_exception(ep);
                         if (*r) {
                           asio::dispatch(work,
                                          asio::append(std::move(h), error_code(), std::move(**r)));
                           return;
                         }
                         error_code ec = r->error().code;
                         if (detail) *detail = std::move(*r).error();
                         asio::dispatch(work, asio::append(std::move(h), ec, T{}));
                       }));
  }
};

/// `op` delivered to `token` as void(error_code, T); on an error T is value-initialized and
/// the whole gemini::error goes to `*detail` when given.
template <class T, class Token>
auto async_call(const boost::asio::any_io_executor& ex, boost::asio::awaitable<result<T>> op,
                gemini::error* detail, Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, T)>(initiate_call<T>{ex}, token,
                                                                 std::move(op), detail);
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
