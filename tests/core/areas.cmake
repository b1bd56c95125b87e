# One otakit_add_test per core area.
otakit_add_test(test_core_boot SOURCES boot_test.cpp LIBS otakit_core otakit_platform_posix)
otakit_add_test(test_core_power_cut SOURCES power_cut_test.cpp LIBS otakit_core otakit_platform_posix)
otakit_add_test(test_core_updater SOURCES updater_test.cpp LIBS otakit_core otakit_platform_posix)
otakit_add_test(test_core_gzip_boot SOURCES gzip_boot_test.cpp LIBS otakit_core otakit_platform_posix)
