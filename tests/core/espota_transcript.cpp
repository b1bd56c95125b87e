#include "tests/core/espota_transcript.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "core/crypto/digest.h"

namespace otakit::espota::testing {

std::string vectors_dir() { return std::string(OTAKIT_VECTORS_DIR) + "/espota"; }

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool try_read(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

// Image segments are shown as "(binary, N bytes, md5=M == image bytes [a, b))": take the bytes
// from the image file when it is at hand and its md5 matches, else a recognisable filler.
std::string image_segment(const std::string& image, size_t begin, size_t len, const std::string& md5) {
  if (image.size() >= begin + len) {
    std::string slice = image.substr(begin, len);
    char slice_md5[crypto::kMd5HexSize];
    crypto::md5_hex(slice.data(), slice.size(), slice_md5);
    if (md5 == slice_md5) return slice;
  }
  return std::string(len, '\xA5');
}

}  // namespace

std::vector<RecordedMessage> Transcript::from_uploader(bool udp) const {
  std::vector<RecordedMessage> out;
  for (const auto& m : messages)
    if (m.from_uploader && m.udp == udp) out.push_back(m);
  return out;
}

std::vector<RecordedMessage> Transcript::from_device(bool udp) const {
  std::vector<RecordedMessage> out;
  for (const auto& m : messages)
    if (!m.from_uploader && m.udp == udp) out.push_back(m);
  return out;
}

Transcript load_transcript(const std::string& name) {
  Transcript transcript;
  transcript.name = name;
  std::istringstream lines(read_text(vectors_dir() + "/" + name + ".txt"));

  static const std::regex kImage(R"(^# image: (\S+) )");
  static const std::regex kHeader(
      R"(^#\d+\s+\+([0-9.]+)\s+(UDP|TCP)\s+\[(\w+)\] [0-9.]+:(\d+) -> \[(\w+)\] [0-9.]+:(\d+)\s+len=(\d+)(?:\s+flags=(\w+))?(?:\s+stream_offset=(\d+))?)");
  static const std::regex kHexRow(R"(^\s+[0-9a-f]{4}  ((?:[0-9a-f]{2} ?)+)\s*\|)");
  static const std::regex kBinary(R"(^\s+\(binary, (\d+) bytes, md5=([0-9a-f]{32})\s+== image bytes \[(\d+), (\d+)\)\))");
  static const std::regex kDeviceFin(R"(TCP \[device\] \d+ -> \[espota\] \d+\s+\w*F\w*\s)");

  std::string image;
  std::string line;
  bool in_section1 = false;
  bool in_section2 = false;
  RecordedMessage* current = nullptr;
  size_t expected_len = 0;
  std::smatch match;
  while (std::getline(lines, line)) {
    if (line.rfind("SECTION 1", 0) == 0) in_section1 = true;
    if (line.rfind("SECTION 2", 0) == 0) {
      in_section1 = false;
      in_section2 = true;
    }
    if (std::regex_search(line, match, kImage)) {
      transcript.image_name = match[1];
      if (!try_read(std::string(OTAKIT_VECTORS_DIR) + "/signing/" + transcript.image_name, &image))
        try_read(vectors_dir() + "/" + transcript.image_name, &image);
    }
    if (in_section2 && std::regex_search(line, kDeviceFin)) transcript.device_closed_tcp = true;
    if (!in_section1) continue;
    if (std::regex_search(line, match, kHeader)) {
      RecordedMessage m;
      m.time_ms = static_cast<uint32_t>(std::stod(match[1]) * 1000.0 + 0.5);
      m.udp = match[2] == "UDP";
      m.from_uploader = match[3] == "espota";
      m.uploader_port = static_cast<uint16_t>(std::stoi(m.from_uploader ? match[4].str() : match[6].str()));
      expected_len = std::stoul(match[7]);
      m.fin = match[8].matched && match[8].str().find('F') != std::string::npos;
      m.stream_offset = match[9].matched ? static_cast<uint32_t>(std::stoul(match[9])) : 0;
      transcript.messages.push_back(m);
      current = &transcript.messages.back();
      continue;
    }
    if (current == nullptr) continue;
    if (std::regex_search(line, match, kBinary)) {
      current->bytes = image_segment(image, std::stoul(match[3]), std::stoul(match[1]), match[2]);
    } else if (std::regex_search(line, match, kHexRow) && current->bytes.size() < expected_len) {
      std::istringstream hex(match[1].str());
      std::string byte;
      while (hex >> byte) current->bytes.push_back(static_cast<char>(std::stoi(byte, nullptr, 16)));
    }
  }
  for (const auto& m : transcript.messages)
    if (m.bytes.empty()) throw std::runtime_error(name + ": a message without bytes");
  if (transcript.messages.empty()) throw std::runtime_error(name + ": no messages in section 1");
  return transcript;
}

}  // namespace otakit::espota::testing
