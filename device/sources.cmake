target_sources(otakit_device PRIVATE
  device_files.cpp
)
