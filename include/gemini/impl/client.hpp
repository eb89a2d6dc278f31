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

}  // namespace detail
}  // namespace v1
}  // namespace gemini
