// audit_verify: checks an audit log written by gemini::audit::log (docs/security.md) and
// reports the first bad record: modified, deleted, inserted, reordered or cut-off records,
// a missing head file, a record that does not decrypt. Exit status 0 when intact, 1 when
// not, 2 on bad usage.
//
//   audit_verify [--keys FILE] [--show] LOG
//
// Keys: FILE ("<id> <64 hex digits>" per line), else the GEMINI_AUDIT_KEYS environment
// variable ("id:hex,id:hex"). --show prints each record with its decrypted texts.
#include <gemini/audit/verify.hpp>

#include <boost/json/serialize.hpp>

#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  std::string keys_file, log;
  bool show = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
      keys_file = argv[++i];
    } else if (std::strcmp(argv[i], "--show") == 0) {
      show = true;
    } else if (argv[i][0] != '-' && log.empty()) {
      log = argv[i];
    } else {
      log.clear();
      break;
    }
  }
  if (log.empty()) {
    std::cerr << "usage: audit_verify [--keys FILE] [--show] LOG\n";
    return 2;
  }
  auto keys = keys_file.empty() ? gemini::audit::keyring::from_env()
                                : gemini::audit::keyring::from_file(keys_file);
  if (!keys) {
    std::cerr << "audit_verify: " << keys.error().message << '\n';
    return 2;
  }
  gemini::audit::verify_options vo;
  if (show)
    vo.on_record = [](const boost::json::object& clear, std::string_view plain) {
      std::cout << boost::json::serialize(clear.at("seq")) << ' '
                << boost::json::serialize(clear.at("ts")) << ' '
                << boost::json::serialize(clear.at("tenant")) << ' '
                << boost::json::serialize(clear.at("outcome")) << ' '
                << boost::json::serialize(clear.at("flags")) << ' ' << plain << '\n';
    };
  auto rep = gemini::audit::verify(log, *keys, vo);
  std::cout << rep.summary() << '\n';
  return rep.ok() ? 0 : 1;
}
