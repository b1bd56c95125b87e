# Debian's Arm embedded compiler (gcc-arm-none-eabi, libnewlib-arm-none-eabi) for a Cortex-M3,
# the core of QEMU's mps2-an385 board. Its C++ library is not used: the core needs none.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_SIZE arm-none-eabi-size)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(OTAKIT_MCU_FLAGS "-mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${OTAKIT_MCU_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${OTAKIT_MCU_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${OTAKIT_MCU_FLAGS}")
set(OTAKIT_MCU_BOARD cortex-m)
set(OTAKIT_MCU_LIBC_DIR /usr/lib/arm-none-eabi/newlib/thumb/v7-m/nofp)  # newlib-nano's memcpy and friends

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
