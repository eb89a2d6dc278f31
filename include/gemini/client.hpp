// gemini-cxx — basic_client<Policies>: the host that composes the policy slots around a
// transport (DESIGN.md §3). This header holds the declarations and their documentation;
// the calls are defined in impl/client.hpp, the pipeline they run in detail/pipeline.hpp
// (docs/architecture.md draws it).
//
// Threading: a client is used from one executor (a strand when the io_context runs on
// several threads). Cancellation: every call honours the cancellation slot of the awaiting
// coroutine (e.g. `asio::experimental::awaitable_operators` `||` with a timer, or
// `asio::bind_cancellation_slot`), and completes with errc::cancelled. Nothing can hang:
// every call ends by its deadline (call_options::deadline, or now + the call's timeout),
// whatever it waits for: a pool slot, the limiter, a back-off, a stream's next chunk.
#pragma once

#include <gemini/budget/concept.hpp>
#include <gemini/client_config.hpp>
#include <gemini/config.hpp>
#include <gemini/detail/async_call.hpp>
#include <gemini/detail/pipeline.hpp>
#include <gemini/error.hpp>
#include <gemini/guard/concept.hpp>
#include <gemini/observe/concept.hpp>
#include <gemini/policies.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {

/// Called with each streamed chunk as it arrives (text parts are deltas).
template <class F>
concept chunk_handler = std::invocable<F&, const wire::generate_content_response&>;

/// An Asio completion token (a callback, use_future, use_awaitable, deferred, as_tuple(...))
/// for a call that completes with `void(error_code, T)`.
template <class Token, class T>
concept completion_token_for = boost::asio::completion_token_for<Token, void(error_code, T)>;

namespace detail {

/// The client for one set of slot types (basic_client<Policies> names it).
template <class S>
class client_impl : private pipeline<S> {
  using base = pipeline<S>;

 public:
  using transport_type = typename S::transport;
  using executor_type = boost::asio::any_io_executor;

  /// Builds the transport from the executor and its options. Configuration errors
  /// (bad base URL, unreadable CA file, a timeout ≤ 0) are reported by every call, never
  /// thrown.
  template <class TransportOptions = transport::https_options>
  explicit client_impl(executor_type ex, client_options opts = client_options::from_environment(),
                       TransportOptions topts = {});

  /// Everything in one value: the client's options and one options value per policy
  /// (basic_config<Policies>; config_from_json() builds one from a JSON document). Each
  /// policy is constructed from its options (and the executor, when it takes one).
  using config_type = client_config<S>;
  explicit client_impl(executor_type ex, config_type cfg);

  /// Access to the policy objects (configure them before the first call; they live as
  /// long as the client).
  typename S::cache& cache() noexcept { return this->cache_; }
  typename S::route& router() noexcept { return this->route_; }
  typename S::limit& limiter() noexcept { return this->limit_; }
  typename S::breaker& circuit_breaker() noexcept { return this->breaker_; }
  typename S::retry& retry_policy() noexcept { return this->retry_; }
  typename S::budget& budget() noexcept { return this->budget_.policy(); }
  typename S::guard& guard() noexcept { return this->guard_.policy(); }
  typename S::observe& observer() noexcept { return this->observe_.policy(); }
  typename S::clock& clock() noexcept { return this->clock_; }

  const client_options& options() const noexcept { return this->opts_; }
  executor_type get_executor() const noexcept { return this->ex_; }
  transport_type& transport() noexcept { return this->transport_; }

  // The asynchronous API has no default arguments: GCC 12 mis-destroys temporaries that
  // live across a co_await (default arguments included), so every call form is an
  // overload that builds its defaults inside the library. Callers on GCC 12 pass named
  // values (`co_await c.generate(std::move(req))`), see docs/decisions/0004.

  /// POST models/{model}:generateContent. A blocked prompt is a successful response
  /// with blocked() true (HTTP 200 on the wire), not an error.
  ///
  /// generate() is not a coroutine: it reads `req` before it returns, or copies (moves) it
  /// into the call's frame, so a reference to a temporary is safe. Without cache, route,
  /// guard or budget policies nothing is copied: the request is serialized at once.
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      const wire::generate_content_request& req);
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      wire::generate_content_request&& req);
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      const wire::generate_content_request& req, call_options o);
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      wire::generate_content_request&& req, call_options o);

  /// One line: `co_await c.generate("Explain keep-alive")` sends one user turn.
  boost::asio::awaitable<result<wire::generate_content_response>> generate(std::string_view prompt);
  boost::asio::awaitable<result<wire::generate_content_response>> generate(std::string_view prompt,
                                                                           call_options o);

  /// POST models/{model}:streamGenerateContent?alt=sse. `on_chunk` sees every chunk as it
  /// arrives (after the guard's filter_chunk); the result is the assembled response (text
  /// concatenated, last usage). On a failure after chunks were delivered, the error's
  /// `partial_text` holds the text received so far; a stream that ends without a
  /// finishReason is errc::truncated_stream. The handler is type-erased (one allocation a
  /// call), so one coroutine body serves every handler type and move-only handlers work.
  /// An exception thrown by `on_chunk` ends the call and propagates to the awaiting
  /// coroutine; everything the call held is released first.
  template <chunk_handler OnChunk>
  boost::asio::awaitable<result<wire::generate_content_response>> stream(
      wire::generate_content_request req, OnChunk on_chunk);
  template <chunk_handler OnChunk>
  boost::asio::awaitable<result<wire::generate_content_response>> stream(
      wire::generate_content_request req, OnChunk on_chunk, call_options o);

  /// One line: streams the answer to one user turn.
  template <chunk_handler OnChunk>
  boost::asio::awaitable<result<wire::generate_content_response>> stream(std::string_view prompt,
                                                                         OnChunk on_chunk);
  template <chunk_handler OnChunk>
  boost::asio::awaitable<result<wire::generate_content_response>> stream(std::string_view prompt,
                                                                         OnChunk on_chunk,
                                                                         call_options o);

  /// POST models/{model}:countTokens.
  boost::asio::awaitable<result<wire::count_tokens_response>> count_tokens(
      wire::count_tokens_request req);
  boost::asio::awaitable<result<wire::count_tokens_response>> count_tokens(
      wire::count_tokens_request req, call_options o);

  /// POST models/{model}:embedContent.
  boost::asio::awaitable<result<wire::embed_content_response>> embed(
      wire::embed_content_request req);
  boost::asio::awaitable<result<wire::embed_content_response>> embed(
      wire::embed_content_request req, call_options o);

  /// POST models/{model}:batchEmbedContents. Requests without a model get this call's.
  boost::asio::awaitable<result<wire::batch_embed_contents_response>> batch_embed(
      wire::batch_embed_contents_request req);
  boost::asio::awaitable<result<wire::batch_embed_contents_response>> batch_embed(
      wire::batch_embed_contents_request req, call_options o);

  /// GET models?pageSize=&pageToken=. `page_size` 0: the service's default.
  boost::asio::awaitable<result<wire::list_models_response>> list_models();
  boost::asio::awaitable<result<wire::list_models_response>> list_models(int page_size);
  boost::asio::awaitable<result<wire::list_models_response>> list_models(int page_size,
                                                                         std::string page_token);
  boost::asio::awaitable<result<wire::list_models_response>> list_models(int page_size,
                                                                         std::string page_token,
                                                                         call_options o);

  /// GET models/{model}.
  boost::asio::awaitable<result<wire::model_info>> get_model(std::string model);
  boost::asio::awaitable<result<wire::model_info>> get_model(std::string model, call_options o);

  /// Explicit context caches (docs/context_cache.md). POST cachedContents: `c.model` empty
  /// means the call's model; set `ttl` ("3600s") or `expire_time`. (Overloads, not default
  /// arguments: GCC 12 mishandles a default argument's temporary inside co_await.)
  boost::asio::awaitable<result<wire::cached_content>> create_cached_content(
      wire::cached_content c);
  boost::asio::awaitable<result<wire::cached_content>> create_cached_content(wire::cached_content c,
                                                                             call_options o);
  /// GET cachedContents/{id} (`name` is "cachedContents/{id}").
  boost::asio::awaitable<result<wire::cached_content>> get_cached_content(std::string name);
  boost::asio::awaitable<result<wire::cached_content>> get_cached_content(std::string name,
                                                                          call_options o);
  /// GET cachedContents?pageSize=&pageToken=. `page_size` 0: the service's default.
  boost::asio::awaitable<result<wire::list_cached_contents_response>> list_cached_contents();
  boost::asio::awaitable<result<wire::list_cached_contents_response>> list_cached_contents(
      int page_size, std::string page_token, call_options o);
  /// PATCH cachedContents/{id}?updateMask=ttl: the cache lives `ttl` from now.
  boost::asio::awaitable<result<wire::cached_content>> update_cached_content_ttl(
      std::string name, std::chrono::seconds ttl);
  boost::asio::awaitable<result<wire::cached_content>> update_cached_content_ttl(
      std::string name, std::chrono::seconds ttl, call_options o);
  /// DELETE cachedContents/{id}.
  boost::asio::awaitable<result<wire::empty_response>> delete_cached_content(std::string name);
  boost::asio::awaitable<result<wire::empty_response>> delete_cached_content(std::string name,
                                                                             call_options o);

  // ---- completion tokens ---------------------------------------------------------------
  // The same calls for any Asio completion token, completing with void(error_code, T):
  //
  //   c.async_generate(req, [](gemini::error_code ec, gemini::generate_response r) {...});
  //   std::future<gemini::generate_response> f = c.async_generate(req, asio::use_future);
  //   auto [ec, r] = co_await c.async_generate(req, asio::as_tuple(asio::use_awaitable));
  //
  // On an error T is value-initialized; the overloads with `gemini::error& detail` also
  // store the whole error there (HTTP status, RetryInfo, quota, partial stream text; reset
  // on success). It must outlive the call. Nothing starts before the operation is launched
  // (deferred); the call then runs on the client's executor, the handler on its own
  // associated executor. Cancellation: a terminal cancellation through the token's slot
  // (bind_cancellation_slot, an awaiting coroutine's), emitted on the client's executor,
  // ends the call with errc::cancelled. The client must outlive every operation. An
  // exception from a chunk handler (other than a boost::system::system_error, which the
  // attempt loop turns into an error value) leaves the client executor's run()
  // (docs/decisions/0010).

  template <completion_token_for<wire::generate_content_response> Token>
  auto async_generate(wire::generate_content_request req, Token&& token) {
    return async_generate(std::move(req), call_options{}, nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::generate_content_response> Token>
  auto async_generate(wire::generate_content_request req, call_options o, Token&& token) {
    return async_generate(std::move(req), std::move(o), nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::generate_content_response> Token>
  auto async_generate(wire::generate_content_request req, call_options o, gemini::error& detail,
                      Token&& token) {
    return async_generate(std::move(req), std::move(o), &detail, std::forward<Token>(token));
  }
  template <completion_token_for<wire::count_tokens_response> Token>
  auto async_count_tokens(wire::count_tokens_request req, Token&& token) {
    return async_count_tokens(std::move(req), call_options{}, nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::count_tokens_response> Token>
  auto async_count_tokens(wire::count_tokens_request req, call_options o, Token&& token) {
    return async_count_tokens(std::move(req), std::move(o), nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::count_tokens_response> Token>
  auto async_count_tokens(wire::count_tokens_request req, call_options o, gemini::error& detail,
                          Token&& token) {
    return async_count_tokens(std::move(req), std::move(o), &detail, std::forward<Token>(token));
  }
  template <completion_token_for<wire::embed_content_response> Token>
  auto async_embed(wire::embed_content_request req, Token&& token) {
    return async_embed(std::move(req), call_options{}, nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::embed_content_response> Token>
  auto async_embed(wire::embed_content_request req, call_options o, Token&& token) {
    return async_embed(std::move(req), std::move(o), nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::embed_content_response> Token>
  auto async_embed(wire::embed_content_request req, call_options o, gemini::error& detail,
                   Token&& token) {
    return async_embed(std::move(req), std::move(o), &detail, std::forward<Token>(token));
  }
  template <completion_token_for<wire::batch_embed_contents_response> Token>
  auto async_batch_embed(wire::batch_embed_contents_request req, Token&& token) {
    return async_batch_embed(std::move(req), call_options{}, nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::batch_embed_contents_response> Token>
  auto async_batch_embed(wire::batch_embed_contents_request req, call_options o, Token&& token) {
    return async_batch_embed(std::move(req), std::move(o), nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::batch_embed_contents_response> Token>
  auto async_batch_embed(wire::batch_embed_contents_request req, call_options o,
                         gemini::error& detail, Token&& token) {
    return async_batch_embed(std::move(req), std::move(o), &detail, std::forward<Token>(token));
  }
  template <completion_token_for<wire::model_info> Token>
  auto async_get_model(std::string model, Token&& token) {
    return async_get_model(std::move(model), call_options{}, nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::model_info> Token>
  auto async_get_model(std::string model, call_options o, Token&& token) {
    return async_get_model(std::move(model), std::move(o), nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::model_info> Token>
  auto async_get_model(std::string model, call_options o, gemini::error& detail, Token&& token) {
    return async_get_model(std::move(model), std::move(o), &detail, std::forward<Token>(token));
  }
  template <chunk_handler OnChunk, completion_token_for<wire::generate_content_response> Token>
  auto async_stream(wire::generate_content_request req, OnChunk on_chunk, Token&& token) {
    return async_stream(std::move(req), std::move(on_chunk), call_options{}, nullptr,
                        std::forward<Token>(token));
  }
  template <chunk_handler OnChunk, completion_token_for<wire::generate_content_response> Token>
  auto async_stream(wire::generate_content_request req, OnChunk on_chunk, call_options o,
                    Token&& token) {
    return async_stream(std::move(req), std::move(on_chunk), std::move(o), nullptr,
                        std::forward<Token>(token));
  }
  template <chunk_handler OnChunk, completion_token_for<wire::generate_content_response> Token>
  auto async_stream(wire::generate_content_request req, OnChunk on_chunk, call_options o,
                    gemini::error& detail, Token&& token) {
    return async_stream(std::move(req), std::move(on_chunk), std::move(o), &detail,
                        std::forward<Token>(token));
  }

  template <completion_token_for<wire::list_models_response> Token>
  auto async_list_models(Token&& token) {
    return async_list_models(0, std::string(), call_options{}, nullptr, std::forward<Token>(token));
  }
  template <completion_token_for<wire::list_models_response> Token>
  auto async_list_models(int page_size, std::string page_token, call_options o, Token&& token) {
    return async_list_models(page_size, std::move(page_token), std::move(o), nullptr,
                             std::forward<Token>(token));
  }
  template <completion_token_for<wire::list_models_response> Token>
  auto async_list_models(int page_size, std::string page_token, call_options o,
                         gemini::error& detail, Token&& token) {
    return async_list_models(page_size, std::move(page_token), std::move(o), &detail,
                             std::forward<Token>(token));
  }

 private:
  // The token forms' one body each: the call is made by a function object run inside the
  // spawned coroutine (detail/async_call.hpp), so it starts only when the operation is
  // launched, on the client's executor. The client must outlive the operation.
  template <class Token>
  auto async_generate(wire::generate_content_request req, call_options o, gemini::error* out,
                      Token&& token) {
    return detail::async_call<wire::generate_content_response>(
        this->ex_,
        [this, req = std::move(req), o = std::move(o)]() mutable {
          return generate(std::move(req), std::move(o));
        },
        out, std::forward<Token>(token));
  }
  template <class Token>
  auto async_count_tokens(wire::count_tokens_request req, call_options o, gemini::error* out,
                          Token&& token) {
    return detail::async_call<wire::count_tokens_response>(
        this->ex_,
        [this, req = std::move(req), o = std::move(o)]() mutable {
          return count_tokens(std::move(req), std::move(o));
        },
        out, std::forward<Token>(token));
  }
  template <class Token>
  auto async_embed(wire::embed_content_request req, call_options o, gemini::error* out,
                   Token&& token) {
    return detail::async_call<wire::embed_content_response>(
        this->ex_,
        [this, req = std::move(req), o = std::move(o)]() mutable {
          return embed(std::move(req), std::move(o));
        },
        out, std::forward<Token>(token));
  }
  template <class Token>
  auto async_batch_embed(wire::batch_embed_contents_request req, call_options o, gemini::error* out,
                         Token&& token) {
    return detail::async_call<wire::batch_embed_contents_response>(
        this->ex_,
        [this, req = std::move(req), o = std::move(o)]() mutable {
          return batch_embed(std::move(req), std::move(o));
        },
        out, std::forward<Token>(token));
  }
  template <class Token>
  auto async_get_model(std::string model, call_options o, gemini::error* out, Token&& token) {
    return detail::async_call<wire::model_info>(
        this->ex_,
        [this, model = std::move(model), o = std::move(o)]() mutable {
          return get_model(std::move(model), std::move(o));
        },
        out, std::forward<Token>(token));
  }
  template <class OnChunk, class Token>
  auto async_stream(wire::generate_content_request req, OnChunk on_chunk, call_options o,
                    gemini::error* out, Token&& token) {
    return detail::async_call<wire::generate_content_response>(
        this->ex_,
        [this, req = std::move(req), f = std::move(on_chunk), o = std::move(o)]() mutable {
          return stream(std::move(req), std::move(f), std::move(o));
        },
        out, std::forward<Token>(token));
  }
  template <class Token>
  auto async_list_models(int page_size, std::string page_token, call_options o, gemini::error* out,
                         Token&& token) {
    return detail::async_call<wire::list_models_response>(
        this->ex_,
        [this, page_size, t = std::move(page_token), o = std::move(o)]() mutable {
          return list_models(page_size, std::move(t), std::move(o));
        },
        out, std::forward<Token>(token));
  }
};

}  // namespace detail

namespace detail {
/// The slot types of a bundle (two bundles with the same choices give the same slot_set).
template <class Policies>
using slots_of =
    slot_set<typename Policies::transport, typename Policies::cache, typename Policies::limit,
             typename Policies::breaker, typename Policies::retry, typename Policies::route,
             typename Policies::budget, typename Policies::guard, typename Policies::observe,
             typename Policies::clock, typename Policies::sync>;
}  // namespace detail

/// The client type for a policy bundle. Bundles with the same choices share one type.
/// Explicit instantiation (every non-template member compiled in one TU):
/// `template class gemini::detail::client_impl<gemini::detail::slots_of<P>>;`
template <class Policies = policies::defaults>
using basic_client = detail::client_impl<detail::slots_of<Policies>>;

/// The default client: HTTPS transport, every other slot a no-op.
using client = basic_client<>;

/// The whole configuration of basic_client<Policies> (gemini/client_config.hpp).
template <class Policies = policies::defaults>
using basic_config = typename basic_client<Policies>::config_type;
using config = basic_config<>;

}  // namespace v1
}  // namespace gemini

#include <gemini/impl/client.hpp>
