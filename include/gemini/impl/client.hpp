// gemini-cxx — basic_client's calls: each a few lines into the pipeline
// (detail/pipeline.hpp). Included at the end of client.hpp.
#pragma once

#include <gemini/client.hpp>

namespace gemini {
inline namespace v1 {
namespace detail {

template <class S>
template <class TransportOptions>
client_impl<S>::client_impl(executor_type ex, client_options opts, TransportOptions topts)
    : base(ex, std::move(opts), std::move(topts)) {}

template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::generate(
    const wire::generate_content_request& req) {
  return this->generate_call(req, default_call{});
}
template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::generate(
    wire::generate_content_request&& req) {
  return this->generate_call(std::move(req), default_call{});
}
template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::generate(
    const wire::generate_content_request& req, call_options o) {
  return this->generate_call(req, std::move(o));
}
template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::generate(
    wire::generate_content_request&& req, call_options o) {
  return this->generate_call(std::move(req), std::move(o));
}

template <class S>
client_impl<S>::client_impl(executor_type ex, config_type cfg) : base(ex, std::move(cfg)) {}

inline wire::generate_content_request one_turn(std::string_view prompt) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::string(prompt)));
  return r;
}

template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::generate(
    std::string_view prompt) {
  return this->generate_call(one_turn(prompt), default_call{});
}
template <class S>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::generate(
    std::string_view prompt, call_options o) {
  return this->generate_call(one_turn(prompt), std::move(o));
}
template <class S>
template <chunk_handler OnChunk>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::stream(
    std::string_view prompt, OnChunk on_chunk) {
  return this->stream_call(one_turn(prompt), chunk_callback(std::move(on_chunk)), call_options{});
}
template <class S>
template <chunk_handler OnChunk>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::stream(
    std::string_view prompt, OnChunk on_chunk, call_options o) {
  return this->stream_call(one_turn(prompt), chunk_callback(std::move(on_chunk)), std::move(o));
}

template <class S>
template <chunk_handler OnChunk>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::stream(
    wire::generate_content_request req, OnChunk on_chunk) {
  return this->stream_call(std::move(req), chunk_callback(std::move(on_chunk)), call_options{});
}
template <class S>
template <chunk_handler OnChunk>
boost::asio::awaitable<result<wire::generate_content_response>> client_impl<S>::stream(
    wire::generate_content_request req, OnChunk on_chunk, call_options o) {
  return this->stream_call(std::move(req), chunk_callback(std::move(on_chunk)), std::move(o));
}

template <class S>
boost::asio::awaitable<result<wire::count_tokens_response>> client_impl<S>::count_tokens(
    wire::count_tokens_request req) {
  return count_tokens(std::move(req), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::count_tokens_response>> client_impl<S>::count_tokens(
    wire::count_tokens_request req, call_options o) {
  std::string target = this->method_target(o, "countTokens");
  std::string body = wire::serialize(req);
  limit::cost c{static_cast<std::int64_t>(body.size() / 4)};
  return this->template unary<wire::count_tokens_response>(observe::operation::count_tokens, "POST",
                                                           std::move(target), std::move(body),
                                                           std::move(o), c);
}

template <class S>
boost::asio::awaitable<result<wire::embed_content_response>> client_impl<S>::embed(
    wire::embed_content_request req) {
  return embed(std::move(req), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::embed_content_response>> client_impl<S>::embed(
    wire::embed_content_request req, call_options o) {
  std::string target = this->method_target(o, "embedContent");
  std::string body = wire::serialize(req);
  limit::cost c{static_cast<std::int64_t>(body.size() / 4)};
  return this->template unary<wire::embed_content_response>(
      observe::operation::embeddings, "POST", std::move(target), std::move(body), std::move(o), c);
}

template <class S>
boost::asio::awaitable<result<wire::batch_embed_contents_response>> client_impl<S>::batch_embed(
    wire::batch_embed_contents_request req) {
  return batch_embed(std::move(req), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::batch_embed_contents_response>> client_impl<S>::batch_embed(
    wire::batch_embed_contents_request req, call_options o) {
  for (auto& r : req.requests)
    if (r.model.empty()) r.model = model_path(this->model_of(o));
  std::string target = this->method_target(o, "batchEmbedContents");
  std::string body = wire::serialize(req);
  limit::cost c{static_cast<std::int64_t>(body.size() / 4)};
  return this->template unary<wire::batch_embed_contents_response>(
      observe::operation::batch_embeddings, "POST", std::move(target), std::move(body),
      std::move(o), c);
}

template <class S>
boost::asio::awaitable<result<wire::list_models_response>> client_impl<S>::list_models() {
  return list_models(0, std::string(), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::list_models_response>> client_impl<S>::list_models(
    int page_size) {
  return list_models(page_size, std::string(), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::list_models_response>> client_impl<S>::list_models(
    int page_size, std::string page_token) {
  return list_models(page_size, std::move(page_token), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::list_models_response>> client_impl<S>::list_models(
    int page_size, std::string page_token, call_options o) {
  std::string target = this->base_.path + "/models";
  char sep = '?';
  if (page_size > 0) {
    target += "?pageSize=" + std::to_string(page_size);
    sep = '&';
  }
  if (!page_token.empty()) target += sep + std::string("pageToken=") + url_encode(page_token);
  return this->template unary<wire::list_models_response>(observe::operation::list_models, "GET",
                                                          std::move(target), std::string(),
                                                          std::move(o), limit::cost{});
}

template <class S>
boost::asio::awaitable<result<wire::model_info>> client_impl<S>::get_model(std::string model) {
  return get_model(std::move(model), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::model_info>> client_impl<S>::get_model(std::string model,
                                                                           call_options o) {
  std::string target = this->base_.path + "/" + model_path(model);
  return this->template unary<wire::model_info>(observe::operation::get_model, "GET",
                                                std::move(target), std::string(), std::move(o),
                                                limit::cost{});
}

namespace cached_detail {
/// "cachedContents/{id}" checked: a name that would leave the collection is refused.
inline std::optional<gemini::error> bad_cache_name(std::string_view name) {
  constexpr std::string_view prefix = "cachedContents/";
  auto id = name.substr(std::min(name.size(), prefix.size()));
  bool ok = name.starts_with(prefix) && !id.empty();
  for (char ch : id)
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '_');
  if (ok) return std::nullopt;
  return gemini::error(errc::invalid_argument,
                       "a cached content's name is \"cachedContents/{id}\" (letters, digits, '-', "
                       "'_'); got \"" +
                           std::string(name.substr(0, 80)) + "\"");
}
}  // namespace cached_detail

template <class S>
boost::asio::awaitable<result<wire::cached_content>> client_impl<S>::create_cached_content(
    wire::cached_content c) {
  return create_cached_content(std::move(c), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::cached_content>> client_impl<S>::get_cached_content(
    std::string name) {
  return get_cached_content(std::move(name), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::list_cached_contents_response>>
client_impl<S>::list_cached_contents() {
  return list_cached_contents(0, std::string(), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::cached_content>> client_impl<S>::update_cached_content_ttl(
    std::string name, std::chrono::seconds ttl) {
  return update_cached_content_ttl(std::move(name), ttl, call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::empty_response>> client_impl<S>::delete_cached_content(
    std::string name) {
  return delete_cached_content(std::move(name), call_options{});
}
template <class S>
boost::asio::awaitable<result<wire::cached_content>> client_impl<S>::create_cached_content(
    wire::cached_content c, call_options o) {
  if (c.model.empty()) c.model = model_path(this->model_of(o));
  std::string body = wire::serialize(c);
  limit::cost cost{static_cast<std::int64_t>(body.size() / 4)};
  return this->template unary<wire::cached_content>(observe::operation::cached_contents, "POST",
                                                    this->base_.path + "/cachedContents",
                                                    std::move(body), std::move(o), cost);
}
template <class S>
boost::asio::awaitable<result<wire::cached_content>> client_impl<S>::get_cached_content(
    std::string name, call_options o) {
  if (auto e = cached_detail::bad_cache_name(name))
    return this->template ready<wire::cached_content>(*e);
  return this->template unary<wire::cached_content>(observe::operation::cached_contents, "GET",
                                                    this->base_.path + "/" + name, std::string(),
                                                    std::move(o), limit::cost{});
}
template <class S>
boost::asio::awaitable<result<wire::list_cached_contents_response>>
client_impl<S>::list_cached_contents(int page_size, std::string page_token, call_options o) {
  std::string target = this->base_.path + "/cachedContents";
  char sep = '?';
  if (page_size > 0) {
    target += "?pageSize=" + std::to_string(page_size);
    sep = '&';
  }
  if (!page_token.empty()) target += sep + std::string("pageToken=") + url_encode(page_token);
  return this->template unary<wire::list_cached_contents_response>(
      observe::operation::cached_contents, "GET", std::move(target), std::string(), std::move(o),
      limit::cost{});
}
template <class S>
boost::asio::awaitable<result<wire::cached_content>> client_impl<S>::update_cached_content_ttl(
    std::string name, std::chrono::seconds ttl, call_options o) {
  if (auto e = cached_detail::bad_cache_name(name))
    return this->template ready<wire::cached_content>(*e);
  if (ttl.count() < 0)
    return this->template ready<wire::cached_content>(
        gemini::error(errc::invalid_argument, "a cached content's ttl cannot be negative"));
  wire::cached_content c;
  c.ttl = std::to_string(ttl.count()) + "s";
  return this->template unary<wire::cached_content>(
      observe::operation::cached_contents, "PATCH",
      this->base_.path + "/" + name + "?updateMask=ttl", wire::serialize(c), std::move(o),
      limit::cost{});
}
template <class S>
boost::asio::awaitable<result<wire::empty_response>> client_impl<S>::delete_cached_content(
    std::string name, call_options o) {
  if (auto e = cached_detail::bad_cache_name(name))
    return this->template ready<wire::empty_response>(*e);
  return this->template unary<wire::empty_response>(observe::operation::cached_contents, "DELETE",
                                                    this->base_.path + "/" + name, std::string(),
                                                    std::move(o), limit::cost{});
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
