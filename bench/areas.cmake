# One benchmark executable per area.
add_executable(bench_device_core device_core_bench.cpp)
target_link_libraries(bench_device_core PRIVATE otakit_core otakit_platform_posix fmt::fmt otakit_warnings)
