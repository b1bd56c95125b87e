# The SQL storage layer (server/store/): both drivers and the migrations, each TEST_P on SQLite
# and on a private PostgreSQL server the binary starts (postgres_fixture.cpp).
otakit_add_test(test_server_database
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/database_test.cpp ${CMAKE_CURRENT_LIST_DIR}/migrations_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/concurrency_test.cpp ${CMAKE_CURRENT_LIST_DIR}/open_database_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/engine_test.cpp ${CMAKE_CURRENT_LIST_DIR}/postgres_fixture.cpp
  LIBS otakit_server)
