target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/database.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schema.cpp
  ${CMAKE_CURRENT_LIST_DIR}/migrations.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_database.cpp
  ${CMAKE_CURRENT_LIST_DIR}/postgres_database.cpp
)
