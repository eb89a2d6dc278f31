// Helpers of the multi-process Redis tests: start a worker executable, wait for its exit,
// a private temporary directory.
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace gemini::testing {

inline pid_t spawn_process(const std::string& program, std::vector<std::string> args) {
  args.insert(args.begin(), program);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
  return pid;
}

/// The exit status, or 128 + the signal that ended it.
inline int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::filesystem::path temp_dir() {
  char tmpl[] = "/tmp/gemini-procs-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

/// Waits (up to 20 s) until the file holds `word` first.
inline bool wait_for_word(const std::filesystem::path& file, const std::string& word) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string got;
  while (got != word && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream(file) >> got;
  }
  return got == word;
}

}  // namespace gemini::testing
