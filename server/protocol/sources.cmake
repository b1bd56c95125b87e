target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/check_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/update_endpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/simple_map.cpp
)
