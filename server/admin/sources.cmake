target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/admin_api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_views.cpp
)
