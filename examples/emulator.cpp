// gemini-emulator: runs gemini::testing::emulator as a stand-alone server until SIGINT or
// SIGTERM, so that any client (curl, the official SDKs, this library) can talk to it.
//
//   gemini-emulator [--port N] [--key K] [--tls] [--tls-host NAME] [--latency-ms N]
//                   [--chunk-ms N] [--token-us N] [--rpm N] [--tpm N] [--fault-rate P]
//                   [--faults http_503,http_429_per_minute,...] [--seed S] [--threads N]
//                   [--ca-out FILE]
//
// It prints the base URL on the first line of stdout (e.g. "http://127.0.0.1:41234") and,
// in TLS mode, writes the CA certificate to --ca-out (default gemini-emulator-ca.pem).
//
//   curl -s "$URL/v1beta/models/gemini-2.5-flash:generateContent"
//        -H 'x-goog-api-key: test-key' -H 'content-type: application/json'
//        -d '{"contents":[{"parts":[{"text":"hello"}]}]}'          (one line)
#include <gemini/testing/emulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

void usage() {
  std::cerr << "usage: gemini-emulator [--port N] [--key K] [--tls] [--tls-host NAME]\n"
               "         [--latency-ms N] [--chunk-ms N] [--token-us N] [--rpm N] [--tpm N]\n"
               "         [--fault-rate P] [--faults KIND,...] [--seed S] [--threads N]\n"
               "         [--ca-out FILE]\n"
               "fault kinds: http_429_per_minute http_429_per_day http_400 http_403 http_404\n"
               "  http_500 http_503 http_504 reset_before_response cut_mid_stream\n"
               "  stall_first_byte malformed_json safety_block_prompt safety_finish max_tokens\n"
               "An empty --key accepts any key.\n";
}

}  // namespace

int main(int argc, char** argv) {
  gemini::testing::emulator_options o;
  std::string ca_out = "gemini-emulator-ca.pem";
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
        return argv[++i];
      };
      if (a == "--port")
        o.port = static_cast<unsigned short>(std::stoul(next()));
      else if (a == "--key")
        o.api_key = next();
      else if (a == "--tls")
        o.tls = true;
      else if (a == "--tls-host")
        o.tls_host = next();
      else if (a == "--latency-ms")
        o.latency.first_byte = std::chrono::milliseconds(std::stol(next()));
      else if (a == "--chunk-ms")
        o.latency.per_chunk = std::chrono::milliseconds(std::stol(next()));
      else if (a == "--token-us")
        o.latency.per_token = std::chrono::microseconds(std::stol(next()));
      else if (a == "--rpm")
        o.rpm_limit = static_cast<std::uint32_t>(std::stoul(next()));
      else if (a == "--tpm")
        o.tpm_limit = static_cast<std::uint32_t>(std::stoul(next()));
      else if (a == "--fault-rate")
        o.fault_probability = std::stod(next());
      else if (a == "--seed")
        o.seed = std::stoull(next());
      else if (a == "--threads")
        o.threads = std::stoul(next());
      else if (a == "--ca-out")
        ca_out = next();
      else if (a == "--faults") {
        std::stringstream ss(next());
        std::string name;
        while (std::getline(ss, name, ',')) {
          gemini::testing::fault_kind k{};
          if (!gemini::testing::fault_kind_from_string(name, k))
            throw std::invalid_argument("unknown fault kind " + name);
          o.random_faults.push_back(k);
        }
      } else if (a == "--help" || a == "-h") {
        usage();
        return 0;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "gemini-emulator: " << e.what() << '\n';
    usage();
    return 2;
  }

  // Block on the signals in a private io_context; the emulator serves on its own threads.
  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  try {
    gemini::testing::emulator emu(o);
    if (o.tls) {
      std::ofstream(ca_out) << emu.ca_certificate_pem();
      std::cerr << "CA certificate written to " << ca_out << '\n';
    }
    std::cout << emu.base_url() << std::endl;
    std::cerr << "gemini-emulator: serving /v1beta and /v1 on " << emu.base_url()
              << (o.api_key.empty() ? " (any key)" : " (key \"" + o.api_key + "\")")
              << "; Ctrl-C to stop\n";
    int got = 0;
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (!ec) got = sig;
    });
    signals_ctx.run();
    emu.stop();
    std::cerr << "gemini-emulator: signal " << got << ", stopped after " << emu.requests()
              << " requests on " << emu.connections() << " connections\n";
  } catch (const std::exception& e) {
    std::cerr << "gemini-emulator: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
