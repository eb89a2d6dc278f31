// The audit log appended to from several threads at once, with checkpoints, a full queue
// (block and drop), key rotation and flushes racing the writer thread (run under
// ThreadSanitizer by scripts/test.sh): every record that was accepted is in the log, the
// log verifies.
#include <gemini/audit/log.hpp>
#include <gemini/audit/verify.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

using namespace gemini;

namespace {
const std::string hex1(64, '1'), hex2(64, '2');
}

TEST_CASE("audit log: eight threads append, flush and rotate keys", "[audit][threads]") {
  char t[] = "/tmp/gemini-audit-threads-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(t);
  for (auto full : {audit::when_full::block, audit::when_full::drop}) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directory(dir);
    audit::log_options o;
    o.path = (dir / "audit.log").string();
    o.queue_capacity = 16;  // small: the queue is full often
    o.when_full = full;
    o.checkpoint_every = 50;
    o.rotate_bytes = 64 * 1024;
    std::atomic<int> accepted{0}, errors{0};
    {
      auto log = audit::log::open(o, audit::keyring::parse("k1 " + hex1).value()).value();
      std::vector<std::thread> ts;
      for (int i = 0; i < 8; ++i)
        ts.emplace_back([&, i] {
          for (int k = 0; k < 300; ++k) {
            audit::record r;
            r.tenant = "t" + std::to_string(i);
            r.prompt = "p" + std::to_string(k);
            auto slot = log->reserve();
            if (!slot) continue;       // dropped (counted by the log)
            if (k % 7 == 0) continue;  // let go unused: the slot comes back
            slot->submit(std::move(r));
            ++accepted;
            if (k % 50 == 0 && log->flush()) ++errors;  // Catch2 asserts are not thread-safe
          }
        });
      ts.emplace_back([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        audit::secret k2;
        if (!audit::crypto::unhex(hex2, k2.data(), 32) || log->rotate_key("k2", k2)) ++errors;
      });
      for (auto& th : ts) th.join();
      CHECK(errors == 0);
      REQUIRE_FALSE(log->flush());
      auto st = log->stats();
      CHECK(st.written == static_cast<std::uint64_t>(accepted.load()));
      if (full == audit::when_full::block) CHECK(st.dropped == 0);
    }
    auto rep = audit::verify(o.path, audit::keyring::parse("k1 " + hex1 + "\nk2 " + hex2).value());
    INFO(rep.summary());
    REQUIRE(rep.ok());
    CHECK(rep.records == static_cast<std::uint64_t>(accepted.load()));
  }
  std::filesystem::remove_all(dir);
}
