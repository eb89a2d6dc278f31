// chat: an interactive streaming chat in the terminal. Text appears as it streams;
// Ctrl-C cancels the answer in progress (not the program); Ctrl-D quits.
//
//   chat                     interactive
//   chat --prompt "text"     one streamed answer, then exit (used in CI)
//
// Without GEMINI_API_KEY it talks to the embedded emulator on 127.0.0.1.
#include <gemini/gemini.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>
#include <optional>
#include <string>

namespace asio = boost::asio;
using gemini::wire::content;
using gemini::wire::generate_content_response;

namespace {

asio::awaitable<void> answer(gemini::client& client, gemini::wire::generate_content_request req,
                             std::optional<gemini::result<generate_content_response>>* out) {
  // Arguments of a co_await expression are named values, never temporaries: GCC 12
  // mis-destroys temporaries that live across a suspension (docs/decisions/0004).
  auto print = [](const generate_content_response& chunk) {
    std::cout << chunk.text() << std::flush;
  };
  auto r = co_await client.stream(std::move(req), print);
  out->emplace(std::move(r));
}

/// Streams one answer; SIGINT while it streams cancels it. Returns the model's turn.
std::optional<content> ask(asio::io_context& ioc, gemini::client& client,
                           const std::vector<content>& history) {
  gemini::wire::generate_content_request req;
  req.contents = history;
  asio::cancellation_signal cancel;
  asio::signal_set signals(ioc, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) cancel.emit(asio::cancellation_type::terminal);
  });
  std::optional<gemini::result<generate_content_response>> out;
  asio::co_spawn(ioc, answer(client, std::move(req), &out),
                 asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                   signals.cancel();
                   if (e) std::rethrow_exception(e);
                 }));
  ioc.restart();
  ioc.run();
  std::cout << '\n';
  if (!out || !*out) {
    if (out) {
      auto const& e = out->error();
      if (e.code == gemini::errc::cancelled)
        std::cout << "[answer cancelled]\n";
      else
        std::cerr << "error: " << e << '\n';
    }
    return std::nullopt;
  }
  auto& r = **out;
  std::cout << "[" << r.usage.total_token_count << " tokens]\n";
  return content::model(r.text());
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> one_prompt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--prompt" && i + 1 < argc) {
      one_prompt = argv[++i];
    } else {
      std::cerr << "usage: chat [--prompt TEXT]\n";
      return 2;
    }
  }
  auto opts = gemini::client_options::from_environment();
  std::optional<gemini::testing::emulator> emulator;
  if (opts.key.empty()) {
    emulator.emplace();
    opts.base_url = emulator->base_url() + "/v1beta";
    opts.key = gemini::api_key("test-key");
    std::cout << "(GEMINI_API_KEY is not set: using the embedded emulator at "
              << emulator->base_url() << ")\n";
  }
  asio::io_context ioc;
  gemini::client client(ioc.get_executor(), opts);
  std::vector<content> history;

  if (one_prompt) {
    history.push_back(content::user(*one_prompt));
    return ask(ioc, client, history) ? 0 : 1;
  }
  std::cout << "Type a message; Ctrl-C cancels an answer, Ctrl-D quits.\n";
  std::string line;
  while (std::cout << "> " << std::flush, std::getline(std::cin, line)) {
    if (line.empty()) continue;
    history.push_back(content::user(line));
    if (auto turn = ask(ioc, client, history))
      history.push_back(std::move(*turn));
    else
      history.pop_back();  // keep the conversation well-formed
  }
  std::cout << '\n';
  return 0;
}
