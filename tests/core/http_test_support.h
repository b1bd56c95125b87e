// Helpers for the core/http tests: the recorded vectors (vectors/httpupdate, vectors/webupdate,
// vectors/signing), the stream digests their transcripts give, and Text/Slice as strings.
#pragma once
#include <cstdint>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <cstring>
#include <string>

#include "core/crypto/digest.h"
#include "core/http/message.h"
#include "core/http/request_builder.h"
#include "core/util/hex.h"

namespace otakit::http::testing {

inline std::string vector_path(const std::string& relative) { return std::string(OTAKIT_VECTORS_DIR) + "/" + relative; }

inline std::string read_vector(const std::string& relative) {
  std::ifstream in(vector_path(relative), std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + vector_path(relative));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline std::string md5_hex(const std::string& bytes) {
  crypto::Md5 md5;
  md5.update(bytes.data(), bytes.size());
  uint8_t digest[crypto::kMd5Size];
  md5.finish(digest);
  char hex[2 * crypto::kMd5Size + 1];
  to_hex(digest, crypto::kMd5Size, hex);
  return hex;
}

// The MD5 a transcript (NAME.txt) records for everything one side sent on the TCP connection:
// "<ip>:<port> [role] -> ... : <n> bytes md5=<hex>".
inline std::string recorded_stream_md5(const std::string& transcript, const std::string& from_role) {
  std::regex line("\\[" + from_role + "\\] -> [0-9.]+:[0-9]+ \\[\\w+\\]: [0-9]+ bytes md5=([0-9a-f]{32})");
  std::smatch match;
  std::string text = read_vector(transcript);
  if (!std::regex_search(text, match, line)) throw std::runtime_error("no stream md5 in " + transcript);
  return match[1];
}

// The host mock's facts (vectors/httpupdate/INDEX.txt): the sketch MD5 is that of 400000 x 0xFF.
struct RecordedDevice {
  std::string sketch_md5 = md5_hex(std::string(400000, '\xFF'));
  DeviceFacts facts() const {
    DeviceFacts device;
    device.chip_id = 15602487;
    const uint8_t mac[6] = {0xDE, 0xBA, 0x7A, 0xB1, 0xE0, 0x42};
    memcpy(device.sta_mac, mac, 6);
    memcpy(device.ap_mac, mac, 6);
    device.free_space = 4194304;
    device.sketch_size = 400000;
    device.sketch_md5 = sketch_md5.c_str();
    device.chip_size = 4194304;
    device.sdk_version = "2.5.0";
    return device;
  }
};

inline std::string str(Text text) { return text.present() ? std::string(text.data, text.size) : std::string(); }
inline std::string str(Slice slice) {
  return slice.size ? std::string(reinterpret_cast<const char*>(slice.data), slice.size) : std::string();
}
inline const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace otakit::http::testing
