// gemini-cxx — the transport slot: sends an http_request, unary or streamed.
//
// | expression                     | type                                        |
// |--------------------------------|---------------------------------------------|
// | `T::slot`                      | gemini::slot::transport                     |
// | `t.request(req, limits)`       | asio::awaitable<result<http_response>>      |
// | `t.open(req, limits)`          | asio::awaitable<result<T::stream_type>>     |
// | `s.status()`, `s.headers()`    | int, const std::vector<header>&             |
// | `s.read_some(std::string&)`    | asio::awaitable<result<std::size_t>>, 0=end |
//
// Optional: `t.request_then(req, limits, finish)`, an awaitable of `finish(outcome)`
// computed in the request's own coroutine frame (the client maps the response to its
// result there: one frame and one move fewer a call; see docs/decisions/0007).
#pragma once

#include <gemini/error.hpp>
#include <gemini/slots.hpp>
#include <gemini/transport/http.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <string>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace transport {

template <class S>
concept body_stream = std::movable<S> && requires(S& s, std::string& out) {
  { s.status() } -> std::convertible_to<int>;
  { s.read_some(out) } -> std::same_as<boost::asio::awaitable<result<std::size_t>>>;
};

template <class T>
concept transport_policy = declares_slot<T, gemini::slot::transport> &&
    body_stream<typename T::stream_type> && requires(T& t, http_request req, attempt_limits lim) {
  { t.request(req, lim) } -> std::same_as<boost::asio::awaitable<result<http_response>>>;
  { t.open(req, lim) } -> std::same_as<boost::asio::awaitable<result<typename T::stream_type>>>;
};

/// A transport that can map its response in its own frame (see request_then above).
template <class T>
concept finishing_transport = requires(T& t, http_request req, attempt_limits lim) {
  {
    t.request_then(std::move(req), lim, keep_response{})
    } -> std::same_as<boost::asio::awaitable<result<http_response>>>;
};

}  // namespace transport
}  // namespace v1
}  // namespace gemini
