# Every dependency comes from Debian's archive (scripts/install-deps.sh installs them).
find_path(BEARSSL_INCLUDE_DIR bearssl_hash.h PATH_SUFFIXES bearssl REQUIRED)
find_library(BEARSSL_LIBRARY NAMES libbearssl.a bearssl REQUIRED)
add_library(bearssl::bearssl STATIC IMPORTED)
set_target_properties(bearssl::bearssl PROPERTIES
  IMPORTED_LOCATION ${BEARSSL_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${BEARSSL_INCLUDE_DIR})

if(NOT OTAKIT_FUZZ)
  find_package(OpenSSL 3 REQUIRED)
  find_package(ZLIB REQUIRED)
  find_package(CLI11 REQUIRED)
  find_package(fmt REQUIRED)
  find_package(spdlog REQUIRED)
  find_package(nlohmann_json 3 REQUIRED)
  find_package(Boost 1.81 EXACT REQUIRED)
  find_package(Threads REQUIRED)
  if(OTAKIT_TESTS)
    find_package(GTest REQUIRED)
  endif()
  if(OTAKIT_BENCH)
    find_package(benchmark REQUIRED)
  endif()
endif()
