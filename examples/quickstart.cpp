// quickstart: one prompt, prints the answer and the token usage.
//
// Without GEMINI_API_KEY it starts the library's Gemini emulator in-process on 127.0.0.1
// and says so; with it, it calls the real service (GEMINI_BASE_URL / GEMINI_MODEL override).
//
//   quickstart ["your prompt"]
#include <gemini/gemini.hpp>
#include <gemini/testing/emulator.hpp>

#include <iostream>
#include <optional>

int main(int argc, char** argv) {
  auto opts = gemini::client_options::from_environment();
  std::optional<gemini::testing::emulator> emulator;
  if (opts.key.empty()) {
    emulator.emplace();
    opts.base_url = emulator->base_url() + "/v1beta";
    opts.key = gemini::api_key("test-key");
    std::cout << "GEMINI_API_KEY is not set: talking to the embedded emulator at "
              << emulator->base_url() << "\n\n";
  }

  std::string prompt = argc > 1 ? argv[1] : "Why does connection pooling matter for API clients?";
  gemini::wire::generate_content_request req;
  req.contents.push_back(gemini::wire::content::user(prompt));

  gemini::sync_client client(opts);
  auto r = client.generate(std::move(req));
  if (!r) {
    std::cerr << "error: " << r.error() << '\n';
    return 1;
  }
  std::cout << "model " << opts.model << " (" << r->model_version << ") answered:\n\n"
            << r->text() << "\n\n"
            << "tokens: prompt " << r->usage.prompt_token_count << ", answer "
            << r->usage.candidates_token_count << ", thoughts " << r->usage.thoughts_token_count
            << ", total " << r->usage.total_token_count << '\n';
  return 0;
}
