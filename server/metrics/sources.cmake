target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cpp
)
