# One add_test per end-to-end script.
add_test(NAME e2e_device_lifecycle COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/device_lifecycle.sh $<TARGET_FILE:otakit>)
