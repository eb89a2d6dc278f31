# Dependencies of gemini::gemini, shared by the build tree and the installed config.
include(CMakeFindDependencyMacro)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)
find_dependency(OpenSSL 3)
find_dependency(Boost 1.81 COMPONENTS json url system)
