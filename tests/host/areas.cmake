# One otakit_add_test per host area.
otakit_add_test(test_host_signing SOURCES signing_test.cpp LIBS otakit_host)
otakit_add_test(test_host_openssl_interop SOURCES openssl_interop_test.cpp LIBS otakit_host)
target_compile_definitions(test_host_openssl_interop PRIVATE
  OTAKIT_INTEROP_KEY_DIR="${CMAKE_CURRENT_BINARY_DIR}/interop-keys")
otakit_add_test(test_host_image_builder SOURCES image_builder_test.cpp LIBS otakit_host)
otakit_add_test(test_host_cli_signing SOURCES cli_signing_test.cpp LIBS otakit_core)
add_dependencies(test_host_cli_signing otakit)
otakit_add_test(test_host_espota SOURCES espota_responder_test.cpp espota_uploader_test.cpp
                LIBS otakit_device otakit_host)
otakit_add_test(test_host_clock_log SOURCES clock_test.cpp log_test.cpp LIBS otakit_net)
otakit_add_test(test_host_mdns SOURCES mdns_net_test.cpp mdns_hub_test.cpp LIBS otakit_net)
otakit_add_test(test_host_device_mdns SOURCES device_mdns_test.cpp LIBS otakit_device otakit_host)
otakit_add_test(test_host_signed_update SOURCES signed_update_test.cpp LIBS otakit_host otakit_device)
otakit_add_test(test_host_many_devices SOURCES many_devices_test.cpp LIBS otakit_device otakit_host)
add_dependencies(test_host_many_devices otakit)
otakit_add_test(test_host_web_uploader SOURCES web_uploader_test.cpp LIBS otakit_net)
otakit_add_test(test_host_pull_client SOURCES pull_client_test.cpp pull_client_tls_test.cpp
                LIBS otakit_device otakit_host OpenSSL::SSL OpenSSL::Crypto)
