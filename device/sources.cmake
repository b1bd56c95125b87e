target_sources(otakit_device PRIVATE
  device.cpp
  loopback_fleet.cpp
  device_files.cpp
  device_lock.cpp
  device_state.cpp
  control_server.cpp
  device_runtime.cpp
  pull_setup.cpp
  virtual_device.cpp
)
