target_sources(otakit_net PRIVATE
  clock.cpp
  manual_clock.cpp
  log_sinks.cpp
  endpoint.cpp
  mdns_socket.cpp
  mdns_hub.cpp
  mdns_service.cpp
  mdns_discovery.cpp
  espota_asio.cpp
  espota_responder.cpp
  espota_upload_attempt.cpp
  espota_uploader.cpp
  http_update_server.cpp
  upload_run.cpp
  web_uploader.cpp
  pull_client.cpp
)
