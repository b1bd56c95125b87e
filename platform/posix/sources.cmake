target_sources(otakit_platform_posix PRIVATE
  emulated_flash.cpp
  file_flash.cpp
  resume_store_file.cpp
  rtc_memory_file.cpp
  pem.cpp
  shared_flash.cpp
  server_identity.cpp
  trust_anchors.cpp
  zlib_inflater.cpp
)
