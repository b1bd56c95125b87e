// bench_push: espota push of a 1 MiB image with OTAKit's uploader (the code behind `otakit
// upload`), streaming against the espota.py-paced stop-and-wait mode, (a) on loopback into an
// in-process responder on the real Updater and (b) across a network-namespace pair with 10 ms
// RTT (veth + netem, made and removed here) into `otakit device`; then 50 devices at once against
// 50 in sequence, all 50 responders in this process on one io_context. Bounded: well under 2 min.
#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/delayed_link.h"
#include "bench/timed_run.h"
#include "device/device.h"
#include "host/image_builder.h"
#include "net/espota_uploader.h"
#include "net/log_sinks.h"
#include "platform/posix/emulated_flash.h"

namespace {

using namespace otakit;
using bench::median;
using Clock = std::chrono::steady_clock;
constexpr uint32_t kImageSize = 1 << 20;

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }
// ---- an in-memory device: 4 MiB flash (4M1M layout) under device::Device on 127.0.0.1 ----

class MemoryDevice {
 public:
  MemoryDevice(boost::asio::io_context& io, net::Clock& clock, const net::Logger& log, const host::Bytes& running)
      : layout_(*find_layout("4M1M")), flash_(layout_.flash_size),
        device_({flash_, rtc_, layout_, {}, nullptr}, network(io, clock, log)) {
    if (!device_.provision(running)) throw std::runtime_error("provision failed");
    device_.boot();
  }
  uint16_t port() { return device_.espota()->local_port(); }

 private:
  static device::NetworkAttachment network(boost::asio::io_context& io, net::Clock& clock, const net::Logger& log) {
    device::NetworkAttachment net;
    net.io = &io;
    net.clock = &clock;
    net.espota->log = log;
    net.espota->bind_address = "127.0.0.1";
    net.espota->port = 0;
    net.espota->reboot_on_success = false;  // stays up for the next run; the staged image is replaced
    return net;
  }

  const FlashLayout& layout_;
  posix::MemoryFlash flash_;
  VolatileRtcMemory rtc_;
  device::Device device_;
};

// Runs the uploads on `io` (where the devices also live) and returns the wall time in ms.
double timed_upload(boost::asio::io_context& io, net::Clock& clock, const net::EspotaImage& image,
                    const std::vector<net::EspotaTarget>& targets, const net::EspotaUploadOptions& options) {
  bool done = false;
  std::vector<net::EspotaUploadResult> results;
  auto start = Clock::now();
  double elapsed = 0;
  net::async_upload_all(io, clock, image, targets, options, {}, [&](std::vector<net::EspotaUploadResult> r) {
    elapsed = ms_since(start);
    results = std::move(r);
    done = true;
  });
  while (!done) {
    if (io.stopped()) io.restart();  // an io_context with no devices runs out of work between runs
    io.run_one();
  }
  for (const auto& r : results)
    if (r.outcome != espota::UploadOutcome::ok)
      throw std::runtime_error(r.target.host + ":" + std::to_string(r.target.port) + ": " + r.message);
  return elapsed;
}

net::EspotaUploadOptions upload_options(const net::Logger& log, bool stop_and_wait, unsigned parallel = 1) {
  net::EspotaUploadOptions options;
  options.log = log;
  options.host_ip = "127.0.0.1";
  options.stop_and_wait = stop_and_wait;
  options.parallel = parallel;
  options.retries = 0;
  return options;
}

void print_pair(const char* what, double streaming_ms, double stop_ms) {
  double mib = double(kImageSize) / (1 << 20);
  fmt::print("{:<34} {:>9.1f} ms {:>7.1f} MiB/s {:>10.1f} ms {:>7.2f} MiB/s {:>7.1f}x\n", what, streaming_ms,
             mib / (streaming_ms / 1000), stop_ms, mib / (stop_ms / 1000), stop_ms / streaming_ms);
}

// ---- processes and the network namespace ----

int count_in_file(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
  return n;
}

void bench_netns(const std::string& otakit, net::Clock& clock, const net::Logger& uploads_log,
                 const net::EspotaImage& image) {
  bench::DelayedLink link(5);
  if (!link.ok()) {
    fmt::print("{:<34} skipped: {}\n", "netns 10 ms RTT, 1 device", link.error());
    return;
  }
  auto dir = std::filesystem::temp_directory_path() / ("otakit-bench-push-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string log = (dir / "device.log").string();
  pid_t device = bench::spawn_logged({"ip", "netns", "exec", link.ns(), otakit, "device", "--flash", (dir / "dev.bin").string(),
                               "--layout", "4M1M", "--ota-port", "8266", "--bind", link.device_ip()},
                              log);
  auto wait_ready = [&](int boots) {
    auto until = Clock::now() + std::chrono::seconds(15);
    while (count_in_file(log, "ota: espota responder on") < boots) {
      if (Clock::now() > until) throw std::runtime_error("the device in the namespace did not come up: " + log);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  try {
    boost::asio::io_context io;
    net::EspotaUploadOptions options = upload_options(uploads_log, false);
    options.host_ip = link.host_ip();
    std::vector<net::EspotaTarget> target = {{link.device_ip(), 8266}};
    int boots = 1;
    wait_ready(boots);
    std::vector<double> streaming;
    for (int i = 0; i < 3; ++i) {
      streaming.push_back(timed_upload(io, clock, image, target, options));
      wait_ready(++boots);  // each success reboots `otakit device` into the new image
    }
    options.stop_and_wait = true;
    double stop = timed_upload(io, clock, image, target, options);
    wait_ready(++boots);
    char label[64];
    std::snprintf(label, sizeof(label), "netns, %.1f ms RTT, 1 device", link.measured_rtt_ms());
    print_pair(label, median(streaming), stop);
    fmt::print("{:<34} (link: {}; device: `otakit device` in the namespace)\n", "", link.method());
  } catch (const std::exception& e) {
    fmt::print("netns run failed: {}\n", e.what());
  }
  if (device > 0) {
    kill(device, SIGTERM);
    waitpid(device, nullptr, 0);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::string otakit = OTAKIT_BINARY_PATH;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--otakit") otakit = argv[i + 1];
  spdlog::set_level(spdlog::level::warn);
  net::SpdlogSink sink;
  net::Logger log(&sink, "");
  net::SteadyClock clock;

  host::ImageSpec running_spec;
  running_spec.total_size = 65536;
  host::Bytes running = host::build_esp_image(running_spec);
  host::ImageSpec push_spec;
  push_spec.total_size = kImageSize;
  push_spec.seed = 2;
  push_spec.version = "2.0.0";
  net::EspotaImage image = net::EspotaImage::from(host::build_esp_image(push_spec));

  fmt::print("bench_push: a 1 MiB image pushed with OTAKit's uploader (the code of `otakit upload`) into espota\n"
             "responders on the real Updater; streaming vs --stop-and-wait (espota.py's pacing: one 1460-byte chunk\n"
             "per ack). Each time includes the device's 50 ms gap before \"OK\". Medians.\n\n");
  fmt::print("{:<34} {:>23} {:>24} {:>8}\n", "", "streaming", "stop-and-wait", "ratio");

  boost::asio::io_context io;
  {
    MemoryDevice device(io, clock, log, running);
    std::vector<net::EspotaTarget> target = {{"127.0.0.1", device.port()}};
    std::vector<double> streaming, stop;
    for (int i = 0; i < 5; ++i) streaming.push_back(timed_upload(io, clock, image, target, upload_options(log, false)));
    for (int i = 0; i < 3; ++i) stop.push_back(timed_upload(io, clock, image, target, upload_options(log, true)));
    print_pair("loopback, 1 device", median(streaming), median(stop));
  }

  bench_netns(otakit, clock, log, image);

  {
    std::vector<std::unique_ptr<MemoryDevice>> fleet;
    std::vector<net::EspotaTarget> targets;
    for (int i = 0; i < 50; ++i) {
      fleet.push_back(std::make_unique<MemoryDevice>(io, clock, log, running));
      targets.push_back({"127.0.0.1", fleet.back()->port()});
    }
    double sequence = timed_upload(io, clock, image, targets, upload_options(log, false, 1));
    double at_once = timed_upload(io, clock, image, targets, upload_options(log, false, 50));
    fmt::print("\n50 devices x 1 MiB, loopback, one process, one io_context thread:\n");
    fmt::print("  in sequence (--parallel 1)  {:>8.0f} ms  {:>6.1f} MiB/s total\n", sequence, 50.0 / (sequence / 1000));
    fmt::print("  at once     (--parallel 50) {:>8.0f} ms  {:>6.1f} MiB/s total\n", at_once, 50.0 / (at_once / 1000));
    fmt::print("  ratio sequence / at once    {:>8.1f}x\n", sequence / at_once);
  }
  fmt::print("\nReference (recorded, not run here): espota.py -> ArduinoOTA host emulation, 1 MiB on loopback: 3.495 s\n"
             "(vectors/espota/upload-1MiB-summary.txt; 2.1 s of it are the original's fixed delays).\n");
  return 0;
}
