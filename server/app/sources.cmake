target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/fleet_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/self_signed.cpp
  ${CMAKE_CURRENT_LIST_DIR}/check_writer.cpp
)
