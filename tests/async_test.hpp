// Test helper: run one awaitable to completion on an io_context and return its value.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <exception>
#include <optional>

namespace gemini::test {

/// Awaits `op` and keeps its value in `*out`.
template <class T>
boost::asio::awaitable<void> store(boost::asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

/// Runs `op` (and everything else queued) until the io_context has no work left.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> op) {
  std::optional<T> out;
  boost::asio::co_spawn(ioc, store(std::move(op), &out), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.restart();
  ioc.run();
  REQUIRE(out);
  return std::move(*out);
}

}  // namespace gemini::test
