// batch: JSONL of prompts in, JSONL of results out, through queue::processor's lanes.
//
//   batch [--in FILE] [--out FILE]
//
// Each input line is {"id": "...", "prompt": "...", "lane": "high|medium|low"} or
// {"id": "...", "request": {<a generateContent request>}}. "id" defaults to the line
// number, "lane" to medium. Each result line is {"id", "line", "state", "attempts",
// "text" | "error"}, appended as soon as the job ends.
//
// - Resumable: ids already in the output (succeeded, or failed for good) are skipped, so a
//   batch stopped by Ctrl-C or a kill goes on where it stopped. Only a job that had been
//   answered but not yet written when the process was killed is paid twice.
// - Ctrl-C (or SIGTERM) stops taking input, lets running jobs finish for 5 s, cancels the
//   rest, and exits with 130.
// - A malformed line is reported with its number and counted; the batch goes on. A line
//   that is not a valid request fails at submit (invalid_argument), also counted.
// - The queue is bounded: reading waits while it is full.
// - A live progress line (done / failed / rate / ETA) on a terminal; plain lines otherwise.
//
// Without --in it writes a demo input (batch-demo.jsonl, 60 prompts, one malformed line,
// one invalid request) and runs it. Without GEMINI_API_KEY the calls go to the embedded
// emulator.
#include <gemini/client.hpp>
#include <gemini/queue/processor.hpp>
#include <gemini/testing/emulator.hpp>
#include <gemini/wire/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace asio = boost::asio;
using client_t = gemini::basic_client<gemini::policies::defaults>;
using processor_t = gemini::queue::processor<client_t>;

namespace {

void write_demo(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  const char* lanes[] = {"high", "medium", "low"};
  for (int i = 1; i <= 60; ++i) {
    if (i == 17) {
      out << R"({"id": "p17", "prompt": "an unterminated line)" << '\n';  // malformed
      continue;
    }
    if (i == 23) {
      out << R"({"id": "p23", "request": {"contents": []}})" << '\n';  // not a valid request
      continue;
    }
    out << R"({"id": "p)" << i << R"(", "lane": ")" << lanes[i % 3]
        << R"(", "prompt": "Give one tip about topic number )" << i << R"(."})" << '\n';
  }
}

struct counts {
  std::size_t total = 0, done = 0, failed = 0, malformed = 0, invalid = 0, skipped = 0;
};

struct batch {
  batch(processor_t& p, const std::string& in_path) : proc(p), in(in_path) {}
  processor_t& proc;
  std::ifstream in;
  std::ofstream out;
  counts n;
  bool stop = false;
  bool tty = ::isatty(STDERR_FILENO) == 1;
  gemini::queue::clock::time_point began = gemini::queue::clock::now();
  std::set<std::string> finished_before;

  void progress(bool final_line) {
    double secs = std::chrono::duration<double>(gemini::queue::clock::now() - began).count();
    double rate = secs > 0 ? double(n.done + n.failed) / secs : 0;
    std::size_t left = n.total - n.done - n.failed;
    char line[200];
    std::snprintf(line, sizeof line,
                  "done %zu, failed %zu, malformed %zu, invalid %zu, skipped %zu | %.1f jobs/s | "
                  "ETA %.0f s",
                  n.done, n.failed, n.malformed, n.invalid, n.skipped, rate,
                  rate > 0 ? double(left) / rate : 0.0);
    if (tty)
      std::fprintf(stderr, "\r%s\033[K%s", line, final_line ? "\n" : "");
    else
      std::fprintf(stderr, "%s\n", line);
  }

  void record(const gemini::queue::job_result& r, std::size_t line_no) {
    // A job cancelled by Ctrl-C is not written: the next run does it (no duplicate lines).
    if (r.state == gemini::queue::job_state::cancelled) return;
    boost::json::object o;
    o["id"] = r.id;
    o["line"] = line_no;
    o["state"] = std::string(gemini::queue::to_string(r.state));
    o["attempts"] = r.attempts;
    if (r.state == gemini::queue::job_state::succeeded)
      o["text"] = r.text();
    else if (r.error)
      o["error"] = r.error->what();
    out << boost::json::serialize(o) << '\n' << std::flush;
    if (r.state == gemini::queue::job_state::succeeded)
      ++n.done;
    else
      ++n.failed;
  }

  /// Reads the input, submits each job (waiting while the queue is full).
  asio::awaitable<void> feed() {
    std::string text;
    for (std::size_t line_no = 1; !stop && std::getline(in, text); ++line_no) {
      if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto v = gemini::wire::parse_value(text);
      if (!v || !v->is_object()) {
        std::fprintf(stderr, "%sline %zu: malformed: %s\n", tty ? "\r\033[K" : "", line_no,
                     v ? "not a JSON object" : v.error().message.c_str());
        ++n.malformed;
        continue;
      }
      auto const& obj = v->as_object();
      gemini::queue::job j;
      if (auto* id = obj.if_contains("id"); id && id->is_string())
        j.id = std::string(id->as_string());
      else
        j.id = "line-" + std::to_string(line_no);
      if (finished_before.count(j.id)) {
        ++n.skipped;
        continue;
      }
      j.lane = "medium";
      if (auto* l = obj.if_contains("lane"); l && l->is_string())
        j.lane = std::string(l->as_string());
      gemini::wire::generate_content_request req;
      if (auto* p = obj.if_contains("prompt"); p && p->is_string()) {
        req.contents.push_back(gemini::wire::content::user(std::string(p->as_string())));
      } else if (auto* rq = obj.if_contains("request")) {
        auto parsed = gemini::wire::from_json<gemini::wire::generate_content_request>(*rq);
        if (!parsed) {
          std::fprintf(stderr, "%sline %zu: invalid request: %s\n", tty ? "\r\033[K" : "", line_no,
                       parsed.error().what().c_str());
          ++n.invalid;
          continue;
        }
        req = std::move(*parsed);
      }
      j.request = std::move(req);
      ++n.total;
      lines[j.id] = line_no;  // before submit: a job can end inside it
      auto id = co_await proc.submit(std::move(j));
      if (!id) {
        std::fprintf(stderr, "%sline %zu: %s\n", tty ? "\r\033[K" : "", line_no,
                     id.error().what().c_str());
        --n.total;
        ++n.invalid;
        continue;
      }
    }
  }

  std::map<std::string, std::size_t> lines;
};

}  // namespace

int main(int argc, char** argv) {
  std::string in_path, out_path = "batch-results.jsonl";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--in") == 0)
      in_path = argv[i + 1];
    else if (std::strcmp(argv[i], "--out") == 0)
      out_path = argv[i + 1];
    else {
      std::cerr << "usage: batch [--in FILE] [--out FILE]\n";
      return 2;
    }
  }
  if (in_path.empty()) {
    in_path = "batch-demo.jsonl";
    write_demo(in_path);
    std::cerr << "no --in: wrote a demo input to " << in_path << '\n';
  }
  gemini::config cfg;
  std::optional<gemini::testing::emulator> emu;
  if (cfg.client.key.empty()) {
    emu.emplace();
    cfg.client.key = gemini::api_key("test-key");
    cfg.client.base_url = emu->base_url() + "/v1beta";
    std::cerr << "GEMINI_API_KEY is not set: calling the embedded emulator at " << emu->base_url()
              << '\n';
  }
  cfg.client.model = "gemini-2.5-flash";

  asio::io_context ioc;
  client_t client(ioc.get_executor(), std::move(cfg));
  gemini::queue::processor_options po;  // lanes high/medium/low with 5/3/1 workers
  po.capacity = 64;
  po.result_ttl = std::chrono::seconds(0);  // results go to the output file at once
  batch* self = nullptr;
  po.on_done = [&](const gemini::queue::job_result& r) { self->record(r, self->lines[r.id]); };
  processor_t proc(client, po);
  batch b(proc, in_path);
  self = &b;
  if (!b.in) {
    std::cerr << "batch: cannot read " << in_path << '\n';
    return 2;
  }
  {  // Resume: what the output already holds is not run again.
    std::ifstream prev(out_path);
    for (std::string l; std::getline(prev, l);) {
      auto v = gemini::wire::parse_value(l);
      if (!v || !v->is_object()) continue;  // a line cut by a kill
      auto* id = v->as_object().if_contains("id");
      auto* st = v->as_object().if_contains("state");
      if (id && id->is_string() && st && st->is_string() && st->as_string() != "cancelled")
        b.finished_before.insert(std::string(id->as_string()));
    }
  }
  bool cut_line = false;  // a kill in the middle of a line: the next record starts anew
  {
    std::ifstream prev(out_path, std::ios::binary | std::ios::ate);
    if (prev && prev.tellg() > 0) {
      prev.seekg(-1, std::ios::end);
      cut_line = prev.get() != '\n';
    }
  }
  b.out.open(out_path, std::ios::app);
  if (cut_line) b.out << '\n';

  int status = 0;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    b.stop = true;
    status = 130;
    std::fprintf(stderr, "\nstopping: running jobs get 5 s, the rest is cancelled\n");
    asio::co_spawn(ioc, proc.drain(gemini::queue::clock::now() + std::chrono::seconds(5)),
                   [](std::exception_ptr, std::size_t) {});
  });
  asio::steady_timer ticker(ioc);
  bool fed = false;
  std::function<void()> tick = [&] {
    b.progress(false);
    if (fed && proc.unfinished() == 0) return;
    ticker.expires_after(b.tty ? std::chrono::milliseconds(200) : std::chrono::seconds(1));
    ticker.async_wait([&](boost::system::error_code ec) {
      if (!ec) tick();
    });
  };
  asio::co_spawn(ioc, b.feed(), [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    fed = true;
    if (proc.unfinished() == 0) ticker.cancel();
  });
  tick();
  // Ends when the input is read and every job ended.
  while (!(fed && proc.unfinished() == 0)) {
    if (ioc.run_one() == 0) break;
  }
  ticker.cancel();
  signals.cancel();
  ioc.run();
  b.progress(true);
  std::fprintf(stderr, "results in %s\n", out_path.c_str());
  if (status == 0 && b.n.failed > 0) status = 1;
  return status;
}
