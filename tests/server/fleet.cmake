# The store on both engines, and the server in-process on loopback.
otakit_add_test(test_server_fleet_store
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fleet_store_test.cpp ${CMAKE_CURRENT_LIST_DIR}/engines.cpp
          ${CMAKE_CURRENT_LIST_DIR}/postgres_fixture.cpp
  LIBS otakit_server otakit_host)
otakit_add_test(test_server_endpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/endpoint_test.cpp LIBS otakit_server otakit_host)
