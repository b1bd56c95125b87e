target_sources(otakit_server PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/decision.cpp
  ${CMAKE_CURRENT_LIST_DIR}/firmware_intake.cpp
)
