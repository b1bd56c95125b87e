# The pure rules and the request side of the update endpoint.
otakit_add_test(test_server_protocol
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/decision_test.cpp ${CMAKE_CURRENT_LIST_DIR}/check_request_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/exchange_test.cpp ${CMAKE_CURRENT_LIST_DIR}/firmware_intake_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/simple_map_test.cpp ${CMAKE_CURRENT_LIST_DIR}/forwarded_for_test.cpp
  LIBS otakit_server otakit_host)
