# Warnings are errors everywhere; the device core also gets the embedded flags it must live with.
add_library(otakit_warnings INTERFACE)
target_compile_options(otakit_warnings INTERFACE -Wall -Wextra -Werror -Wshadow)

add_library(otakit_embedded_flags INTERFACE)
target_compile_options(otakit_embedded_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics>)
