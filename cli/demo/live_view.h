// The demo's live view: one line per event, stamped with the seconds since the start and the
// device's name, and a progress bar for the push and the browser upload (redrawn in place on a
// terminal, a few lines otherwise). Lines go to stdout, or stderr when stdout carries JSON.
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

#include "cli/demo/device_story.h"
#include "net/clock.h"

namespace otakit::cli::demo {

class LiveView {
 public:
  LiveView(std::FILE* out, const net::Clock& clock);

  void step(const std::string& title);  // a heading: "== 3. Push 2.0.0 to dev-1 (espota)"
  void note(const std::string& text);   // an indented line under a heading
  template <typename... Args>
  void event(const DeviceStory& device, fmt::format_string<Args...> format, Args&&... args) {
    line(device.name, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void fleet(fmt::format_string<Args...> format, Args&&... args) {  // not one device's: the server's
    line("server", fmt::format(format, std::forward<Args>(args)...));
  }
  // The bar of an upload in progress; a percentage it already showed is not drawn again.
  void bar(const DeviceStory& device, const std::string& what, uint32_t done, uint32_t total);
  // A download by a pulling device: one line at 50%, one at 100%.
  void download(const DeviceStory& device, uint32_t done, uint32_t total);

 private:
  void line(const std::string& who, const std::string& text);
  void end_bar();

  std::FILE* out_;
  const net::Clock& clock_;
  const uint32_t start_ms_;
  const bool terminal_;
  bool bar_open_ = false;
  std::string bar_key_;  // the device and upload the bar shows
  int bar_percent_ = -1;
  std::set<std::string> halfway_, downloaded_;  // devices whose download lines were printed
};

}  // namespace otakit::cli::demo
