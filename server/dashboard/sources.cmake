# The dashboard's files are compiled in; the generated file is rebuilt when one of them changes.
file(GLOB OTAKIT_DASHBOARD_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/www/*)
set(OTAKIT_DASHBOARD_CPP ${CMAKE_CURRENT_BINARY_DIR}/embedded_assets.cpp)
add_custom_command(OUTPUT ${OTAKIT_DASHBOARD_CPP}
  COMMAND ${CMAKE_COMMAND} -DWWW=${CMAKE_CURRENT_LIST_DIR}/www -DOUTPUT=${OTAKIT_DASHBOARD_CPP}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_assets.cmake
  DEPENDS ${OTAKIT_DASHBOARD_FILES} ${CMAKE_CURRENT_LIST_DIR}/embed_assets.cmake
  COMMENT "Embedding the dashboard")
target_sources(otakit_server PRIVATE ${CMAKE_CURRENT_LIST_DIR}/assets.cpp ${OTAKIT_DASHBOARD_CPP})
