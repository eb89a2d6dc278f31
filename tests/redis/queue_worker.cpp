// A worker process of the durable queue tests (test_queue_redis.cpp): runs the lanes' jobs
// from Redis against the emulator at <base url> until it is killed, or until <stop at>
// jobs have ended (then it exits 0).
//   queue_worker <redis port> <base url> <visibility ms> <stop at>
#include <gemini/client.hpp>
#include <gemini/queue/redis.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#include <string>

namespace asio = boost::asio;

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  asio::io_context ioc;
  gemini::redis::options ro;
  ro.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  ro.reconnect_backoff_initial = std::chrono::milliseconds(10);
  ro.reconnect_backoff_max = std::chrono::milliseconds(100);
  gemini::redis::connection conn(ioc.get_executor(), ro);
  gemini::client_options co;
  co.key = gemini::api_key("test-key");
  co.base_url = std::string(argv[2]) + "/v1beta";
  co.model = "gemini-2.5-flash";
  gemini::basic_client<gemini::policies::defaults> client(ioc.get_executor(), co);
  gemini::queue::redis_options qo;
  qo.visibility_timeout = std::chrono::milliseconds(std::atoi(argv[3]));
  qo.poll = std::chrono::milliseconds(5);
  qo.backoff = std::chrono::milliseconds(5);
  const long stop_at = std::atol(argv[4]);
  gemini::queue::redis_worker<decltype(client)> worker(client, conn, qo);
  gemini::queue::redis_queue q(conn, qo);
  asio::co_spawn(ioc, worker.run(), asio::detached);
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(ioc);
        for (;;) {
          t.expires_after(std::chrono::milliseconds(20));
          co_await t.async_wait(asio::use_awaitable);
          auto n = co_await q.ended();
          if (n && *n >= stop_at) break;
        }
        worker.stop();
      },
      asio::detached);
  ioc.run();
  return 0;
}
