// A small blocking HTTP/1.1 client for the emulator tests: Beast over TCP or TLS, one
// connection per object (kept alive), every operation bounded by a timeout so a broken
// server fails a test instead of hanging it.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace emutest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct raw_response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // whatever arrived (partial on error)
  error_code ec;                               // read/write failure, if any
  bool header_done = false;
  bool chunked = false;
  bool keep_alive = false;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  /// The body parsed (once; throws on invalid JSON). References stay valid while *this lives.
  const boost::json::value& json() const {
    if (!parsed_) parsed_ = boost::json::parse(body);
    return *parsed_;
  }

 private:
  mutable std::optional<boost::json::value> parsed_;
};

class raw_client {
 public:
  using headers_t = std::vector<std::pair<std::string, std::string>>;

  /// Plain TCP to 127.0.0.1:port.
  explicit raw_client(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : timeout_(timeout) {
    tcp_.emplace(ioc_);
    connect(port, tcp_->socket());
  }

  /// TLS to 127.0.0.1:port with `ctx`; `verify_name` is the name checked against the
  /// certificate (empty = no host-name check) and sent as SNI when it is not an IP.
  raw_client(std::uint16_t port, asio::ssl::context& ctx, std::string verify_name,
             std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : timeout_(timeout) {
    tls_.emplace(ioc_, ctx);
    connect(port, beast::get_lowest_layer(*tls_).socket());
    if (connect_ec) return;
    if (!verify_name.empty()) {
      tls_->set_verify_callback(asio::ssl::host_name_verification(verify_name));
      if (verify_name.find_first_not_of("0123456789.") != std::string::npos)
        SSL_set_tlsext_host_name(tls_->native_handle(), verify_name.c_str());
    }
    error_code ec;
    bool done = false;
    tls_->async_handshake(asio::ssl::stream_base::client, [&](error_code e) {
      ec = e;
      done = true;
    });
    run(done);
    handshake_ec = done ? ec : make_timeout();
  }

  error_code connect_ec;
  error_code handshake_ec;

  bool ok() const { return !connect_ec && !handshake_ec; }

  /// Sends one request and reads the whole response (or what arrives before an error).
  raw_response request(http::verb verb, const std::string& target, const std::string& body = {},
                       const headers_t& headers = {{"x-goog-api-key", "test-key"}},
                       bool keep_alive = true) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::user_agent, "emulator-test");
    if (verb == http::verb::post) req.set(http::field::content_type, "application/json");
    for (auto const& h : headers) req.set(h.first, h.second);
    req.keep_alive(keep_alive);
    req.body() = body;
    req.prepare_payload();
    raw_response out;
    out.ec = write(req);
    if (out.ec) return out;
    return read_response();
  }

  raw_response post(const std::string& target, const std::string& body,
                    const headers_t& headers = {{"x-goog-api-key", "test-key"}}) {
    return request(http::verb::post, target, body, headers);
  }
  raw_response get(const std::string& target,
                   const headers_t& headers = {{"x-goog-api-key", "test-key"}}) {
    return request(http::verb::get, target, {}, headers);
  }

  /// Only sends (for requests whose answer is read later, or never).
  error_code send(http::verb verb, const std::string& target, const std::string& body) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set("x-goog-api-key", "test-key");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    return write(req);
  }

  raw_response read_response() {
    raw_response out;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    bool done = false;
    error_code ec;
    auto cb = [&](error_code e, std::size_t) {
      ec = e;
      done = true;
    };
    if (tls_)
      http::async_read(*tls_, buffer_, parser, cb);
    else
      http::async_read(*tcp_, buffer_, parser, cb);
    run(done);
    out.ec = done ? ec : make_timeout();
    out.header_done = parser.is_header_done();
    if (out.header_done) {
      auto const& m = parser.get();
      out.status = m.result_int();
      for (auto const& f : m) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(f.value());
      }
      out.chunked = parser.chunked();
      out.keep_alive = m.keep_alive();
      out.body = m.body();
    }
    return out;
  }

  /// Reads raw bytes (headers and chunk framing included) until `needle` has been seen
  /// `count` times, an error, or the timeout; returns everything read.
  std::string read_raw_until(const std::string& needle, std::size_t count = 1) {
    std::string got;
    auto seen = [&] {
      std::size_t n = 0;
      for (auto p = got.find(needle); p != std::string::npos; p = got.find(needle, p + 1)) ++n;
      return n >= count;
    };
    while (!seen()) {
      char buf[4096];
      bool done = false;
      error_code ec;
      std::size_t n = 0;
      auto cb = [&](error_code e, std::size_t k) {
        ec = e;
        n = k;
        done = true;
      };
      if (tls_)
        tls_->async_read_some(asio::buffer(buf), cb);
      else
        tcp_->async_read_some(asio::buffer(buf), cb);
      run(done);
      if (!done || ec) break;
      got.append(buf, n);
    }
    return got;
  }

  /// True when the server has closed this connection (EOF or reset seen within a few ms).
  bool peer_closed(std::chrono::milliseconds wait = std::chrono::milliseconds(200)) {
    auto& sock = tls_ ? beast::get_lowest_layer(*tls_).socket() : tcp_->socket();
    bool done = false;
    error_code ec;
    sock.async_wait(tcp::socket::wait_read, [&](error_code e) {
      ec = e;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(wait);
    if (!done) {
      sock.cancel();
      ioc_.restart();
      ioc_.run();
      return false;
    }
    char c;
    error_code rec;
    std::size_t n = sock.receive(asio::buffer(&c, 1), tcp::socket::message_peek, rec);
    return rec || n == 0;
  }

  SSL* native() { return tls_ ? tls_->native_handle() : nullptr; }

  void close() {
    error_code ec;
    auto& sock = tls_ ? beast::get_lowest_layer(*tls_).socket() : tcp_->socket();
    sock.close(ec);
  }

 private:
  static error_code make_timeout() { return asio::error::timed_out; }

  void connect(std::uint16_t port, tcp::socket& sock) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    sock.connect(ep, connect_ec);
    error_code ec;
    if (!connect_ec) sock.set_option(tcp::no_delay(true), ec);
  }

  template <class Req>
  error_code write(Req& req) {
    bool done = false;
    error_code ec;
    auto cb = [&](error_code e, std::size_t) {
      ec = e;
      done = true;
    };
    if (tls_)
      http::async_write(*tls_, req, cb);
    else
      http::async_write(*tcp_, req, cb);
    run(done);
    return done ? ec : make_timeout();
  }

  /// Runs the private io_context until `done` or the timeout; on timeout the socket is
  /// closed so that the pending operation completes.
  void run(bool& done) {
    ioc_.restart();
    ioc_.run_for(timeout_);
    if (!done) {
      close();
      ioc_.restart();
      ioc_.run();
    }
  }

  std::chrono::milliseconds timeout_;
  asio::io_context ioc_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

/// Splits an SSE body into its `data: ` payloads, checking the exact framing
/// ("data: " + one line + "\r\n\r\n"). Returns false when the framing is wrong.
inline bool split_sse(const std::string& body, std::vector<std::string>& events) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    if (body.compare(pos, 6, "data: ") != 0) return false;
    auto end = body.find("\r\n\r\n", pos);
    if (end == std::string::npos) return false;
    std::string line = body.substr(pos + 6, end - pos - 6);
    if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) return false;
    events.push_back(std::move(line));
    pos = end + 4;
  }
  return true;
}

}  // namespace emutest
