# Debian's ESP8266 compiler (gcc-xtensa-lx106, picolibc-xtensa-lx106-elf): no C++ standard
# library at all, so only C headers and the core language build here.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR xtensa)
set(CMAKE_C_COMPILER xtensa-lx106-elf-gcc)
set(CMAKE_CXX_COMPILER xtensa-lx106-elf-g++)
set(CMAKE_ASM_COMPILER xtensa-lx106-elf-gcc)
set(CMAKE_AR xtensa-lx106-elf-ar)
set(CMAKE_RANLIB xtensa-lx106-elf-ranlib)
set(CMAKE_SIZE xtensa-lx106-elf-size)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # nothing links without the port's start-up

# -mlongcalls: the ESP8266 core's flag (calls may span more than call0's 256 KiB reach).
set(OTAKIT_MCU_FLAGS "-mlongcalls -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${OTAKIT_MCU_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${OTAKIT_MCU_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${OTAKIT_MCU_FLAGS}")
set(OTAKIT_MCU_BOARD lx106)
set(OTAKIT_MCU_LIBC_DIR /usr/lib/xtensa-lx106-elf/lib/release)  # picolibc: memcpy and friends

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
