target_sources(otakit_host PRIVATE
  file_io.cpp
)
