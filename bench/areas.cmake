# One benchmark executable per area.
add_executable(bench_device_core device_core_bench.cpp)
target_link_libraries(bench_device_core PRIVATE otakit_core otakit_platform_posix otakit_host fmt::fmt otakit_warnings)
add_executable(bench_sign bench_sign.cpp run_quiet.cpp)
target_link_libraries(bench_sign PRIVATE otakit_host fmt::fmt otakit_warnings)
add_executable(bench_push bench_push.cpp delayed_link.cpp run_quiet.cpp timed_run.cpp)
target_link_libraries(bench_push PRIVATE otakit_device otakit_net otakit_platform_posix otakit_host fmt::fmt spdlog::spdlog
                      otakit_warnings)
target_compile_definitions(bench_push PRIVATE OTAKIT_BINARY_PATH="$<TARGET_FILE:otakit>")
add_dependencies(bench_push otakit)
add_executable(bench_many_devices bench_many_devices.cpp run_quiet.cpp)
target_link_libraries(bench_many_devices PRIVATE otakit_device otakit_sim otakit_host CLI11::CLI11 fmt::fmt otakit_warnings)
target_compile_definitions(bench_many_devices PRIVATE OTAKIT_BINARY_PATH="$<TARGET_FILE:otakit>")
add_dependencies(bench_many_devices otakit)
add_executable(bench_http_update bench_http_update.cpp heap_counter.cpp timed_run.cpp)
target_link_libraries(bench_http_update PRIVATE otakit_device otakit_net otakit_platform_posix otakit_host fmt::fmt
                      otakit_warnings)
target_compile_definitions(bench_http_update PRIVATE OTAKIT_BINARY_PATH="$<TARGET_FILE:otakit>")
add_dependencies(bench_http_update otakit)
add_executable(bench_http_pull bench_http_pull.cpp heap_counter.cpp timed_run.cpp)
target_link_libraries(bench_http_pull PRIVATE otakit_device otakit_net otakit_platform_posix otakit_host OpenSSL::SSL
                      OpenSSL::Crypto fmt::fmt otakit_warnings)
add_executable(bench_check_load check_load.cpp)
target_link_libraries(bench_check_load PRIVATE Boost::headers Threads::Threads CLI11::CLI11 fmt::fmt
                      nlohmann_json::nlohmann_json otakit_warnings)
