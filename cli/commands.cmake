# One line per subcommand source file.
target_sources(otakit PRIVATE
  exit_codes.cpp
  device.cpp
  device_pull.cpp
  discover.cpp
  upload.cpp
  sign.cpp
  keygen.cpp
  verify.cpp
  inspect.cpp
  mkimage.cpp
  server.cpp
  admin_client.cpp
  admin_views.cpp
  publish.cpp
  rollout.cpp
  devices.cpp
  fleet.cpp
)
