#include "cli/demo/live_view.h"

#include <unistd.h>

namespace otakit::cli::demo {

LiveView::LiveView(std::FILE* out, const net::Clock& clock)
    : out_(out), clock_(clock), start_ms_(clock.now_ms()), terminal_(isatty(fileno(out)) != 0) {}

void LiveView::step(const std::string& title) {
  end_bar();
  fmt::print(out_, "\n== {}\n", title);
  std::fflush(out_);
}

void LiveView::note(const std::string& text) {
  end_bar();
  fmt::print(out_, "   {}\n", text);
  std::fflush(out_);
}

void LiveView::line(const std::string& who, const std::string& text) {
  end_bar();
  fmt::print(out_, "[{:5.1f}s] {:<7} {}\n", (clock_.now_ms() - start_ms_) / 1000.0, who, text);
  std::fflush(out_);
}

void LiveView::bar(const DeviceStory& device, const std::string& what, uint32_t done, uint32_t total) {
  if (total == 0) return;
  const int percent = int(uint64_t(done) * 100 / total);
  // Off a terminal a bar cannot be redrawn: a line at each quarter says as much.
  const int shown = terminal_ ? percent : percent / 25 * 25;
  const std::string key = device.name + what;
  if (key == bar_key_ && shown <= bar_percent_) return;
  bar_key_ = key;
  bar_percent_ = shown;
  const int width = 30, filled = shown * width / 100;
  const std::string text = fmt::format("{} [{}{}] {:3}% of {} bytes", what, std::string(filled, '#'),
                                       std::string(width - filled, '.'), shown, total);
  if (!terminal_) {
    fmt::print(out_, "          {:<7} {}\n", device.name, text);
  } else {
    fmt::print(out_, "\r          {:<7} {}", device.name, text);
    bar_open_ = true;
  }
  std::fflush(out_);
  if (percent == 100) end_bar();
}

void LiveView::download(const DeviceStory& device, uint32_t done, uint32_t total) {
  if (total == 0) return;
  if (done == total) {
    if (!downloaded_.insert(device.name).second) return;
    return event(device, "downloaded {} bytes (100%)", total);
  }
  if (uint64_t(done) * 2 >= total && halfway_.insert(device.name).second)
    event(device, "downloading: 50% of {} bytes", total);
}

void LiveView::end_bar() {
  if (bar_open_) fmt::print(out_, "\n");
  bar_open_ = false;
}

}  // namespace otakit::cli::demo
