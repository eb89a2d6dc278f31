// Shared by odr_a.cpp and odr_b.cpp: each defines one call through a client type, and
// each TU explicitly instantiates one shipped bundle's client.
#pragma once

#include <gemini/gemini.hpp>

#include <string>

namespace gemini::test {
using production_client = gemini::basic_client<gemini::policies::production>;

/// Defined in odr_a.cpp: a blocking generate through a production client.
gemini::result<gemini::generate_response> generate_from_a(production_client& c,
                                                          boost::asio::io_context& ioc,
                                                          std::string prompt);
/// Defined in odr_b.cpp: the same through the default client.
gemini::result<gemini::generate_response> generate_from_b(gemini::client& c,
                                                          boost::asio::io_context& ioc,
                                                          std::string prompt);
}  // namespace gemini::test
