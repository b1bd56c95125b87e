# One otakit_add_test per core area.
otakit_add_test(test_core_boot SOURCES boot_test.cpp ota_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_power_cut SOURCES power_cut_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_updater SOURCES updater_test.cpp update_sink_test.cpp updater_resume_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_gzip_boot SOURCES gzip_boot_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_mdns SOURCES mdns_message_test.cpp mdns_responder_test.cpp mdns_services_test.cpp
                mdns_browser_test.cpp
                LIBS otakit_core)
otakit_add_test(test_core_image SOURCES esp_image_test.cpp app_descriptor_test.cpp
                signature_check_test.cpp LIBS otakit_core)
otakit_add_test(test_core_espota
  SOURCES espota_codec_test.cpp espota_device_test.cpp espota_host_test.cpp espota_transcript_test.cpp
          espota_transcript.cpp
  LIBS otakit_core)
otakit_add_test(test_core_journal SOURCES journal_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_boot_hardening SOURCES boot_hardening_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_emulated_flash SOURCES emulated_flash_test.cpp shared_flash_test.cpp LIBS otakit_core otakit_platform_posix)
otakit_add_test(test_core_fault_injection SOURCES fault_injection_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_journal_damage SOURCES journal_damage_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_acceptance SOURCES acceptance_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_http
  SOURCES http_request_head_test.cpp http_response_test.cpp http_multipart_test.cpp http_basic_auth_test.cpp
          http_builder_test.cpp http_url_test.cpp device_report_test.cpp
  LIBS otakit_core)
otakit_add_test(test_core_webupdate_page SOURCES update_page_test.cpp web_upload_slices_test.cpp LIBS otakit_core)
otakit_add_test(test_core_webupdate
  SOURCES webupdate_requests_test.cpp webupdate_auth_test.cpp webupdate_form_test.cpp webupdate_body_test.cpp
          webupdate_connections_test.cpp webupdate_updater_test.cpp
  LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_pull SOURCES pull_session_test.cpp LIBS otakit_core otakit_platform_posix otakit_device)
otakit_add_test(test_core_pull_resume SOURCES pull_resume_test.cpp pull_resume_store_test.cpp
                LIBS otakit_core otakit_platform_posix otakit_device rapidcheck_gtest rapidcheck)
otakit_add_test(test_core_tls SOURCES tls_client_test.cpp tls_certificate_test.cpp tls_test_peer.cpp
                LIBS otakit_core otakit_platform_posix OpenSSL::SSL OpenSSL::Crypto)
otakit_add_test(test_core_tls_server SOURCES tls_server_test.cpp tls_test_peer.cpp
                LIBS otakit_core otakit_platform_posix OpenSSL::SSL OpenSSL::Crypto)
