# Optional dependency of gemini::redis: hiredis (RESP parsing and formatting), found with
# pkg-config. gemini::gemini never needs it. Shared by the build tree and the installed
# package config. Sets GEMINI_HIREDIS_FOUND (and GEMINI_HIREDIS_VERSION) and, when found,
# creates the imported target PkgConfig::GEMINI_HIREDIS (GLOBAL if GEMINI_HIREDIS_GLOBAL).
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  if(GEMINI_HIREDIS_GLOBAL)
    pkg_check_modules(GEMINI_HIREDIS QUIET IMPORTED_TARGET GLOBAL hiredis)
  else()
    pkg_check_modules(GEMINI_HIREDIS QUIET IMPORTED_TARGET hiredis)
  endif()
endif()
if(NOT TARGET PkgConfig::GEMINI_HIREDIS)
  set(GEMINI_HIREDIS_FOUND FALSE)
endif()
