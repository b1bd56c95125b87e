// What happened to one demo device: the facts the live view prints as they come, the scenario
// waits on, the expectations check and the final table shows. Times are on the demo's clock (ms).
#pragma once
#include <cstdint>
#include <string>

namespace otakit::cli::demo {

constexpr const char* kHealthyGroup = "field-a";  // its rollout finishes
constexpr const char* kFailingGroup = "field-b";  // its devices fail their check under the new version

enum class UpdatePath { push, browser, pull };
const char* to_string(UpdatePath path);

enum class Outcome { updated, rolled_back, not_offered, unfinished };
const char* to_string(Outcome outcome);

struct DeviceStory {
  // Who it is.
  int number = 0;        // 1-based, as the table lists them
  std::string name;      // dev-1
  std::string address;   // 127.0.1.1: its espota responder and upload page bind here
  std::string mac;       // STA MAC, derived from its chip id: the server's key for it
  UpdatePath path = UpdatePath::pull;
  std::string group;     // field-a, field-b, or "" for the push and browser devices
  bool fails_new_image = false;  // field-b: its post-boot check fails under the new version

  // What happened.
  std::string first_version;    // what it booted first
  std::string running_version;  // what runs now
  uint32_t checks = 0;          // update checks the server answered
  uint32_t last_check_ms = 0;
  bool update_began = false;    // an upload started, or (pull) the server offered it an image
  uint32_t started_ms = 0;      // the update began (upload started, or the image was offered)
  uint32_t finished_ms = 0;     // confirmed or rolled back
  bool confirmed_new = false;   // booted the new version on trial and confirmed it
  bool rolled_back = false;     // the new version failed its check and the old one came back

  bool registered() const { return checks > 0; }
  bool done() const { return confirmed_new || rolled_back; }
  Outcome outcome() const {
    if (confirmed_new) return Outcome::updated;
    if (rolled_back) return Outcome::rolled_back;
    return update_began ? Outcome::unfinished : Outcome::not_offered;
  }
};

}  // namespace otakit::cli::demo
