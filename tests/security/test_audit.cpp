// The audit log: AES-256-GCM records, the keyed chain, checkpoints and the head file,
// rotation of files and keys, a full queue, and verify() finding each kind of tampering.
// The kill -9 test runs tests/security/audit_writer.cpp as a child process.
#include <gemini/audit/log.hpp>
#include <gemini/audit/verify.hpp>

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace gemini;
namespace fs = std::filesystem;

namespace {

const std::string key_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

audit::keyring keys() { return audit::keyring::parse("k1 " + key_hex).value(); }

struct temp_dir {
  fs::path p;
  temp_dir() {
    char t[] = "/tmp/gemini-audit-XXXXXX";
    p = ::mkdtemp(t);
  }
  ~temp_dir() { fs::remove_all(p); }
  std::string log() const { return (p / "audit.log").string(); }
};

audit::record rec(int i) {
  audit::record r;
  r.tenant = "acme";
  r.user = "u" + std::to_string(i);
  r.model = "gemini-2.5-flash";
  r.request_id = "req-" + std::to_string(i);
  r.outcome = "ok";
  r.flags = {"pii:EMAIL"};
  r.prompt = "my mail is secret" + std::to_string(i) + "@example.com";
  r.sanitized = "my mail is [EMAIL_1]";
  r.response = "noted";
  return r;
}

void write_records(const std::string& path, int n, audit::log_options o = {}) {
  o.path = path;
  auto l = audit::log::open(o, keys());
  REQUIRE(l);
  for (int i = 0; i < n; ++i) REQUIRE_FALSE((*l)->append(rec(i)));
  REQUIRE_FALSE((*l)->flush());
}

std::vector<std::string> read_lines(const std::string& p) {
  std::ifstream in(p);
  std::vector<std::string> v;
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
void write_lines(const std::string& p, const std::vector<std::string>& v) {
  std::ofstream out(p, std::ios::trunc);
  for (auto const& l : v) out << l << '\n';
}
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("audit crypto: GCM round trip, a flipped bit or other AAD fails", "[security][audit]") {
  audit::secret k;
  REQUIRE(audit::crypto::random_bytes(k.data(), 32));
  unsigned char n[12] = {1, 2, 3};
  auto ct = audit::crypto::seal(k, n, "aad", "hello world");
  REQUIRE(ct);
  CHECK(ct->size() == 11 + 16);
  CHECK(audit::crypto::open(k, n, "aad", *ct) == "hello world");
  CHECK_FALSE(audit::crypto::open(k, n, "aae", *ct));
  auto bad = *ct;
  bad[3] ^= 1;
  CHECK_FALSE(audit::crypto::open(k, n, "aad", bad));
  CHECK(audit::crypto::unbase64(audit::crypto::base64("ab")) == "ab");
  CHECK(audit::crypto::unbase64(audit::crypto::base64("abcd")) == "abcd");
}

TEST_CASE("audit keys: parse errors name the entry, never the key", "[security][audit]") {
  auto bad = audit::keyring::parse("k1 0011");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("entry 1") != std::string::npos);
  CHECK(bad.error().message.find("0011") == std::string::npos);
  CHECK_FALSE(audit::keyring::parse(""));
  CHECK_FALSE(audit::keyring::parse("k1 " + key_hex + "\nk1 " + key_hex));
  auto two = audit::keyring::parse("# comment\nk1 " + key_hex + "\n\nk2:" + std::string(64, 'a'));
  REQUIRE(two);
  CHECK(two->current().id == "k2");
  CHECK(two->find("k1"));
}

TEST_CASE("audit log: written, verified, decrypted; nothing in clear", "[security][audit]") {
  temp_dir d;
  write_records(d.log(), 25);
  std::vector<std::string> plains;
  audit::verify_options vo;
  vo.on_record = [&](const boost::json::object&, std::string_view p) { plains.emplace_back(p); };
  auto rep = audit::verify(d.log(), keys(), vo);
  INFO(rep.summary());
  REQUIRE(rep.ok());
  CHECK(rep.records == 25);
  CHECK(rep.checkpoints >= 2);  // the first one and the closing one
  REQUIRE(plains.size() == 25);
  CHECK(plains[3].find("secret3@example.com") != std::string::npos);
  std::string file = slurp(d.log());
  CHECK(file.find("secret3@example.com") == std::string::npos);
  CHECK(file.find("[EMAIL_1]") == std::string::npos);
  CHECK(file.find(key_hex) == std::string::npos);
  CHECK(file.find("\"tenant\":\"acme\"") != std::string::npos);  // the metadata is in clear
  CHECK(file.find("\"flags\":[\"pii:EMAIL\"]") != std::string::npos);
  // A wrong key verifies nothing.
  auto other = audit::keyring::parse("k1 " + std::string(64, 'b')).value();
  CHECK_FALSE(audit::verify(d.log(), other).ok());
}

TEST_CASE("audit verify: reports the first bad record for each kind of tampering",
          "[security][audit]") {
  temp_dir d;
  audit::log_options o;
  o.checkpoint_every = 4;
  write_records(d.log(), 10, o);
  const auto good = read_lines(d.log());
  REQUIRE(audit::verify(d.log(), keys()).ok());
  auto check_bad = [&](std::vector<std::string> lines, std::uint64_t line, std::string what) {
    write_lines(d.log(), lines);
    auto rep = audit::verify(d.log(), keys());
    INFO(rep.summary());
    REQUIRE_FALSE(rep.ok());
    CHECK(rep.bad->line == line);
    CHECK(rep.bad->reason.find(what) != std::string::npos);
  };
  SECTION("modified") {
    auto l = good;
    auto at = l[4].find("\"user\":\"u");
    l[4][at + 9] = 'X';
    check_bad(l, 5, "modified");
  }
  SECTION("a ciphertext byte changed") {
    auto l = good;
    auto at = l[6].find("\"ct\":\"") + 8;
    l[6][at] = l[6][at] == 'A' ? 'B' : 'A';
    check_bad(l, 7, "modified");
  }
  SECTION("deleted") {
    auto l = good;
    l.erase(l.begin() + 3);
    check_bad(l, 4, "records deleted");
  }
  SECTION("inserted (a copy of another record)") {
    auto l = good;
    l.insert(l.begin() + 5, l[2]);
    check_bad(l, 6, "inserted or reordered");
  }
  SECTION("reordered") {
    auto l = good;
    std::swap(l[3], l[4]);
    check_bad(l, 4, "sequence");
  }
  SECTION("truncated (whole records cut off the end)") {
    auto l = good;
    l.resize(l.size() - 3);
    check_bad(l, 0, "cut off the end");
  }
  SECTION("the head file deleted") {
    fs::remove(d.log() + ".head");
    auto rep = audit::verify(d.log(), keys());
    CHECK_FALSE(rep.ok());
  }
  SECTION("a partial last line (a crash) is reported but accepted") {
    std::ofstream(d.log(), std::ios::app) << R"({"seq":99,"type":"call","ts)";
    auto rep = audit::verify(d.log(), keys());
    INFO(rep.summary());
    CHECK(rep.ok());
    CHECK(rep.torn_tail);
  }
}

TEST_CASE("audit log: reopened, the chain continues; a torn tail is cut off", "[security][audit]") {
  temp_dir d;
  write_records(d.log(), 5);
  std::ofstream(d.log(), std::ios::app) << R"({"seq":7,"type":"ca)";
  write_records(d.log(), 5);
  auto rep = audit::verify(d.log(), keys());
  INFO(rep.summary());
  REQUIRE(rep.ok());
  CHECK(rep.records == 10);
  CHECK_FALSE(rep.torn_tail);
}

TEST_CASE("audit log: rotation by size keeps one chain over the files", "[security][audit]") {
  temp_dir d;
  audit::log_options o;
  o.rotate_bytes = 4000;
  o.path = d.log();
  {
    auto l = audit::log::open(o, keys());
    REQUIRE(l);
    for (int i = 0; i < 60; ++i) {
      REQUIRE_FALSE((*l)->append(rec(i)));
      if (i % 5 == 0) REQUIRE_FALSE((*l)->flush());
    }
    REQUIRE_FALSE((*l)->flush());
    CHECK((*l)->stats().rotations >= 2);
  }
  auto rep = audit::verify(d.log(), keys());
  INFO(rep.summary());
  REQUIRE(rep.ok());
  CHECK(rep.records == 60);
  CHECK(rep.files >= 3);
  fs::remove(d.log() + ".1");  // a whole file deleted: the sequence does not start at 1
  CHECK_FALSE(audit::verify(d.log(), keys()).ok());
}

TEST_CASE("audit log: key rotation, the key id in each record, the per-key limit",
          "[security][audit]") {
  temp_dir d;
  audit::log_options o;
  o.path = d.log();
  o.max_records_per_key = 5;
  auto ring = keys();
  auto l = audit::log::open(o, std::move(ring));
  REQUIRE(l);
  for (int i = 0; i < 5; ++i) REQUIRE_FALSE((*l)->append(rec(i)));
  auto spent = (*l)->append(rec(5));
  REQUIRE(spent);
  CHECK(spent->message.find("rotate the key") != std::string::npos);
  audit::secret k2;
  REQUIRE(audit::crypto::unhex(std::string(64, 'c'), k2.data(), 32));
  REQUIRE_FALSE((*l)->rotate_key("k2", k2));
  for (int i = 5; i < 8; ++i) REQUIRE_FALSE((*l)->append(rec(i)));
  REQUIRE_FALSE((*l)->flush());
  l->reset();
  auto both = audit::keyring::parse("k1 " + key_hex + "\nk2 " + std::string(64, 'c')).value();
  auto rep = audit::verify(d.log(), both);
  INFO(rep.summary());
  REQUIRE(rep.ok());
  CHECK(rep.records == 8);
  std::string file = slurp(d.log());
  CHECK(file.find("\"kid\":\"k2\",\"kn\":3") != std::string::npos);
  // Without k2 the verifier stops at the first k2 record.
  auto rep1 = audit::verify(d.log(), keys());
  REQUIRE_FALSE(rep1.ok());
  CHECK(rep1.bad->reason.find("unknown key id \"k2\"") != std::string::npos);
}

TEST_CASE("audit log: a full queue blocks, drops (counted) or fails by policy",
          "[security][audit]") {
  temp_dir d;
  audit::log_options o;
  o.path = d.log();
  o.queue_capacity = 2;
  SECTION("drop") {
    o.when_full = audit::when_full::drop;
    auto l = audit::log::open(o, keys());
    REQUIRE(l);
    auto t1 = (*l)->reserve();
    auto t2 = (*l)->reserve();
    REQUIRE(t1);
    REQUIRE(t2);
    auto t3 = (*l)->reserve();
    REQUIRE_FALSE(t3);
    CHECK(t3.error().code == errc::unavailable);
    CHECK((*l)->stats().dropped == 1);
    t1->submit(rec(1));
    { auto gone = std::move(*t2); }  // given back unused
    REQUIRE((*l)->reserve());        // room again
    REQUIRE_FALSE((*l)->flush());
    CHECK((*l)->stats().written == 1);
  }
  SECTION("block never waits on slots held by running calls (they may need this thread)") {
    auto l = audit::log::open(o, keys());
    REQUIRE(l);
    auto t1 = (*l)->reserve();
    auto t2 = (*l)->reserve();
    auto t3 = (*l)->reserve();  // the writer has no backlog: returns at once
    REQUIRE(t3);
    t1->submit(rec(1));
    t2->submit(rec(2));
    t3->submit(rec(3));
    REQUIRE_FALSE((*l)->flush());
    CHECK((*l)->stats().written == 3);
    (*l)->close();
    auto late = (*l)->checkpoint();  // after close: an error, not a hang
    REQUIRE(late);
    CHECK(late->code == errc::unavailable);
  }
}

TEST_CASE("audit verify: a deletion hidden by repeated keys after the MAC is found",
          "[security][audit]") {
  temp_dir d;
  write_records(d.log(), 6);  // seq 1 checkpoint, 2-7 calls, 8 closing checkpoint
  auto l = read_lines(d.log());
  auto h_of = [](const std::string& line) { return line.substr(line.size() - 66, 64); };
  // Delete seq 4, then relabel every later line (and the head) with a repeated "seq" (and
  // "prev" on the first) after its MAC: a JSON parser keeps the last value of a key.
  const std::string prev_of_deleted = h_of(l[2]);
  l.erase(l.begin() + 3);
  for (std::size_t i = 3; i < l.size(); ++i) {
    std::string extra = ",\"seq\":" + std::to_string(i + 1);
    if (i == 3) extra += ",\"prev\":\"" + prev_of_deleted + "\"";
    l[i].insert(l[i].size() - 1, extra);
  }
  write_lines(d.log(), l);
  write_lines(d.log() + ".head", {l.back()});
  auto rep = audit::verify(d.log(), keys());
  INFO(rep.summary());
  REQUIRE_FALSE(rep.ok());
}

TEST_CASE("audit log: reopening refuses a cut-off log or a missing head; long lines are fine",
          "[security][audit]") {
  temp_dir d;
  audit::log_options o;
  o.checkpoint_every = 3;
  write_records(d.log(), 7, o);
  const auto good = read_lines(d.log());
  SECTION("records cut off before the head checkpoint") {
    auto l = good;
    l.resize(l.size() - 3);
    write_lines(d.log(), l);
    o.path = d.log();
    auto r = audit::log::open(o, keys());
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("cut off") != std::string::npos);
  }
  SECTION("the head file deleted") {
    fs::remove(d.log() + ".head");
    o.path = d.log();
    REQUIRE_FALSE(audit::log::open(o, keys()));
  }
  SECTION("a record longer than the 64 KiB read block") {
    o.path = d.log();
    {
      auto l2 = audit::log::open(o, keys());
      REQUIRE(l2);
      auto big = rec(1);
      big.prompt = std::string(3 << 20, 'p');  // 3 MiB: a 4 MiB line
      REQUIRE_FALSE((*l2)->append(big));
      REQUIRE_FALSE((*l2)->flush());
    }
    write_records(d.log(), 1);  // reopened after it
    auto rep = audit::verify(d.log(), keys());
    INFO(rep.summary());
    REQUIRE(rep.ok());
    CHECK(rep.records == 9);
  }
}

TEST_CASE("audit log: kill -9 while writing loses at most the unflushed record",
          "[security][audit][process]") {
  temp_dir d;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::execl(GEMINI_AUDIT_WRITER, GEMINI_AUDIT_WRITER, d.log().c_str(), key_hex.c_str(),
            std::to_string(fds[1]).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  // The child writes records as fast as it can and tells us each seq it has flushed.
  std::uint64_t confirmed = 0;
  char buf[4096];
  std::string acc;
  while (confirmed < 3000) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    REQUIRE(n > 0);
    acc.append(buf, static_cast<std::size_t>(n));
    std::size_t nl = acc.rfind('\n');
    if (nl == std::string::npos) continue;
    std::size_t prev = acc.rfind('\n', nl - 1);
    confirmed = std::stoull(acc.substr(prev == std::string::npos ? 0 : prev + 1, nl));
    acc.erase(0, nl + 1);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  CHECK(WIFSIGNALED(status));
  auto rep = audit::verify(d.log(), keys());
  INFO(rep.summary());
  REQUIRE(rep.ok());
  CHECK(rep.records >= confirmed);  // every record flushed before the kill is there
  // Reopened, the log cuts a torn tail and goes on; it still verifies.
  write_records(d.log(), 3);
  auto rep2 = audit::verify(d.log(), keys());
  INFO(rep2.summary());
  REQUIRE(rep2.ok());
  CHECK(rep2.records == rep.records + 3);
}
