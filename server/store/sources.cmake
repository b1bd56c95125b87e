target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/database.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schema.cpp
  ${CMAKE_CURRENT_LIST_DIR}/migrations.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_database.cpp
  ${CMAKE_CURRENT_LIST_DIR}/postgres_database.cpp
  ${CMAKE_CURRENT_LIST_DIR}/blob_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fleet_catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fleet_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fleet_store_checks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fleet_store_rollouts.cpp
)
