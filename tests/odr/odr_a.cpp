#include "odr.hpp"

#include <boost/asio/io_context.hpp>

#include "async_test.hpp"

// Every non-template member of the default client, compiled here.
template class gemini::detail::client_impl<gemini::detail::slots_of<gemini::policies::defaults>>;

namespace gemini::test {
gemini::result<gemini::generate_response> generate_from_a(production_client& c,
                                                          boost::asio::io_context& ioc,
                                                          std::string prompt) {
  return run(ioc, c.generate(std::string_view(prompt)));
}
}  // namespace gemini::test
