// Child process of the kill -9 test (test_audit.cpp): appends audit records until it is
// killed, and after each flush writes the number of records on disk to the pipe it was given.
#include <gemini/audit/log.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  auto keys = gemini::audit::keyring::parse(std::string("k1 ") + argv[2]);
  if (!keys) return 3;
  gemini::audit::log_options o;
  o.path = argv[1];
  o.checkpoint_every = 100;
  auto log = gemini::audit::log::open(o, std::move(*keys));
  if (!log) return 4;
  int fd = std::atoi(argv[3]);
  for (std::uint64_t i = 1;; ++i) {
    gemini::audit::record r;
    r.tenant = "acme";
    r.user = "writer";
    r.outcome = "ok";
    r.prompt = "prompt " + std::to_string(i) + std::string(200, 'x');
    r.response = "response " + std::to_string(i);
    if ((*log)->append(std::move(r))) return 5;
    if (i % 10 == 0) {  // batches of ten between flushes: kills land inside writes too
      if ((*log)->flush()) return 6;
      std::string line = std::to_string(i) + "\n";
      if (::write(fd, line.data(), line.size()) < 0) return 7;
    }
  }
}
