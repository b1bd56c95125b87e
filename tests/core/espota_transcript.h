// Reads the recorded espota.py <-> ArduinoOTA exchanges (vectors/espota/NAME.txt, section 1) into
// a list of messages with direction, transport and exact bytes, for transcript tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace otakit::espota::testing {

struct RecordedMessage {
  bool udp = false;
  bool from_uploader = false;  // [espota] -> [device]
  uint16_t uploader_port = 0;  // espota's UDP source port or TCP listen port
  uint32_t time_ms = 0;
  uint32_t stream_offset = 0;  // TCP only
  bool fin = false;            // TCP segment carried FIN
  std::string bytes;           // exact payload; image segments are rebuilt from the image file
};

struct Transcript {
  std::string name;
  std::string image_name;  // from "# image: NAME (...)", may be empty
  std::vector<RecordedMessage> messages;
  bool device_closed_tcp = false;  // a FIN from the device in section 2

  std::vector<RecordedMessage> from_uploader(bool udp) const;
  std::vector<RecordedMessage> from_device(bool udp) const;
};

// Throws std::runtime_error when the file is missing or does not parse.
Transcript load_transcript(const std::string& name);
std::string vectors_dir();

}  // namespace otakit::espota::testing
