target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/exchange.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forwarded_for.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_server.cpp
)
