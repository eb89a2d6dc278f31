#include <gemini/testing/emulator.hpp>
