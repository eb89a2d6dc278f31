// gemini-cxx — a blocking client for programs that do not run Asio (CLI tools, tests in
// other frameworks). Each call runs the client's own io_context on the calling thread until
// the call completes; the connection pool persists between calls.
//
// Thread safety: one call at a time per sync_client object.
#pragma once

#include <gemini/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>

namespace gemini {
inline namespace v1 {

namespace detail {
template <class T>
boost::asio::awaitable<void> store_into(boost::asio::awaitable<result<T>> op,
                                        std::optional<result<T>>* out) {
  out->emplace(co_await std::move(op));
}
}  // namespace detail

template <class Policies = policies::defaults>
class basic_sync_client {
 public:
  explicit basic_sync_client(client_options opts = client_options::from_environment(),
                             transport::https_options topts = {})
      : client_(ioc_.get_executor(), std::move(opts), std::move(topts)) {}

  /// Everything in one value (basic_config<Policies>, e.g. from config_from_json()).
  explicit basic_sync_client(basic_config<Policies> cfg)
      : client_(ioc_.get_executor(), std::move(cfg)) {}

  basic_client<Policies>& async_client() noexcept { return client_; }
  const client_options& options() const noexcept { return client_.options(); }

  result<wire::generate_content_response> generate(wire::generate_content_request req,
                                                   call_options o = {}) {
    return run(client_.generate(std::move(req), std::move(o)));
  }
  /// One line: `client.generate("Explain keep-alive")`.
  result<wire::generate_content_response> generate(std::string_view prompt, call_options o = {}) {
    return run(client_.generate(prompt, std::move(o)));
  }
  template <chunk_handler OnChunk>
  result<wire::generate_content_response> stream(std::string_view prompt, OnChunk on_chunk,
                                                 call_options o = {}) {
    return run(client_.stream(prompt, std::move(on_chunk), std::move(o)));
  }
  template <chunk_handler OnChunk>
  result<wire::generate_content_response> stream(wire::generate_content_request req,
                                                 OnChunk on_chunk, call_options o = {}) {
    return run(client_.stream(std::move(req), std::move(on_chunk), std::move(o)));
  }
  result<wire::count_tokens_response> count_tokens(wire::count_tokens_request req,
                                                   call_options o = {}) {
    return run(client_.count_tokens(std::move(req), std::move(o)));
  }
  result<wire::embed_content_response> embed(wire::embed_content_request req, call_options o = {}) {
    return run(client_.embed(std::move(req), std::move(o)));
  }
  result<wire::batch_embed_contents_response> batch_embed(wire::batch_embed_contents_request req,
                                                          call_options o = {}) {
    return run(client_.batch_embed(std::move(req), std::move(o)));
  }
  result<wire::list_models_response> list_models(int page_size = 0, std::string page_token = {},
                                                 call_options o = {}) {
    return run(client_.list_models(page_size, std::move(page_token), std::move(o)));
  }
  result<wire::model_info> get_model(std::string model, call_options o = {}) {
    return run(client_.get_model(std::move(model), std::move(o)));
  }

 private:
  template <class T>
  result<T> run(boost::asio::awaitable<result<T>> op) {
    std::optional<result<T>> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc_, detail::store_into(std::move(op), &out),
                          [&failure](std::exception_ptr e) { failure = e; });
    ioc_.restart();
    ioc_.run();
    if (failure) std::rethrow_exception(failure);  // programming errors only
    return std::move(*out);
  }

  boost::asio::io_context ioc_{1};
  basic_client<Policies> client_;
};

using sync_client = basic_sync_client<>;

}  // namespace v1
}  // namespace gemini
