# One add_test per end-to-end script.
add_test(NAME e2e_device_lifecycle COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/device_lifecycle.sh $<TARGET_FILE:otakit>)
# mDNS: our advertiser seen by python3-zeroconf and `otakit discover`, in a network namespace.
add_executable(otakit_test_mdns_advertise mdns_advertise.cpp)
target_link_libraries(otakit_test_mdns_advertise PRIVATE otakit_net CLI11::CLI11 fmt::fmt otakit_warnings)
add_test(NAME e2e_mdns_zeroconf COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mdns_netns.sh
         $<TARGET_FILE:otakit_test_mdns_advertise> $<TARGET_FILE:otakit>)
set_tests_properties(e2e_mdns_zeroconf PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
# espota: `otakit upload` and npm's esp-ota (installed by the test) against virtual devices.
add_test(NAME e2e_espota_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/espota_cli.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_espota_cli PROPERTIES TIMEOUT 120)
add_test(NAME e2e_espota_npm COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/espota_npm.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_espota_npm PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 240)
# espota.py itself is not in this repository: runs when OTAKIT_ESPOTA_PY names a local copy.
add_test(NAME e2e_espota_py COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/espota_py.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_espota_py PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 240)
# The browser upload page: curl as scripts for ESP8266HTTPUpdateServer use it, and `otakit upload --url`.
add_test(NAME e2e_web_upload_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/web_upload_cli.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_web_upload_cli PROPERTIES TIMEOUT 180)
# The browser upload page in headless Chromium through Selenium (scripts/install-deps.sh installs both).
add_test(NAME e2e_web_browser COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/web_browser.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_web_browser PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180)
# The pull client (`otakit device pull`) against pull_server.py on loopback, http and https.
add_test(NAME e2e_pull_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/pull_cli.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_pull_cli PROPERTIES TIMEOUT 120)
# The same page over HTTPS (--https-port): curl and Python's ssl against the device's TlsServer.
add_test(NAME e2e_web_upload_tls COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/web_upload_tls.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_web_upload_tls PROPERTIES TIMEOUT 180)
# Virtual devices through staged rollouts from `otakit server` (healthy, failing post-boot, kill -9).
add_test(NAME e2e_server_rollout COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/server_rollout.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_server_rollout PROPERTIES TIMEOUT 180)
# Two instances on one PostgreSQL behind nginx; one killed with -9 mid-rollout.
add_test(NAME e2e_server_two_instances COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/server_two_instances.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_server_two_instances PROPERTIES TIMEOUT 180)
# The admin API's client (publish, rollout, devices) against `otakit server` on loopback.
add_test(NAME e2e_admin_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/admin_cli.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_admin_cli PROPERTIES TIMEOUT 120)
# The fleet server's dashboard in headless Chromium through Selenium: sign-in, devices, upload, rollouts, phone size.
add_test(NAME e2e_dashboard_browser COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/dashboard_browser.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_dashboard_browser PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 240)
# kill -9 of `otakit server` (SQLite) under a load of checks: every answered check is in the history.
add_test(NAME e2e_server_kill_load COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/server_kill_load.py $<TARGET_FILE:otakit>)
set_tests_properties(e2e_server_kill_load PROPERTIES TIMEOUT 120)
# `otakit demo`: the whole scenario in one process (push, browser upload, staged rollouts), checked by its JSON table.
add_test(NAME e2e_demo COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/demo.sh $<TARGET_FILE:otakit>)
set_tests_properties(e2e_demo PROPERTIES TIMEOUT 180)
