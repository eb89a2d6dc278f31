// gemini-cxx — umbrella header (testing/ is not included).
#pragma once

#include <gemini/client.hpp>
#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/policies.hpp>
#include <gemini/sync_client.hpp>
#include <gemini/wire/types.hpp>
