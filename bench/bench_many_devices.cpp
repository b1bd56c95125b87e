// N in-process devices on one io_context, each on its own loopback address: one `otakit upload`
// pushes an image to all of them, and every one must reboot (in-process) into it. Prints the wall
// time and the RSS per device, beside the same push to a single device in this process.
//   bench_many_devices [--devices N]   (default 1000); exits non-zero unless every device updated
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "bench/run_quiet.h"
#include "device/loopback_fleet.h"
#include "files/file_io.h"
#include "host/image_builder.h"
#include "sim/fleet.h"

namespace {

using namespace otakit;
using Clock = std::chrono::steady_clock;

double rss_mib() { return sim::resident_kib() / 1024.0; }

host::Bytes image(uint32_t size, uint64_t seed, const char* version) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.seed = seed;
  spec.version = version;
  spec.size_code = 0;
  return host::build_esp_image(spec);
}

struct Run {
  int devices = 0;
  int updated = 0;
  double seconds = 0;
  double rss_before = 0, rss_fleet = 0;
};

Run push_to(int devices, const std::string& dir) {
  const FlashLayout& layout = *find_layout("512K");
  host::Bytes factory = image(60000, 1, "1.0.0"), next = image(90001, 2, "2.0.0");
  files::write_file_atomic(dir + "/next.bin", next);
  Run run;
  run.devices = devices;
  run.rss_before = rss_mib();
  boost::asio::io_context io;
  net::SteadyClock clock;
  device::LoopbackFleet fleet(io, clock, layout, devices, factory);  // no log sink: the devices say nothing
  run.rss_fleet = rss_mib();
  {
    std::ofstream hosts(dir + "/hosts.txt");
    for (size_t i = 0; i < fleet.size(); ++i) hosts << fleet[i].address << "\n";
  }
  auto guard = boost::asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  auto t0 = Clock::now();
  bench::run_quiet({OTAKIT_BINARY_PATH, "upload", "-I", "127.0.0.1", "--hosts-file", dir + "/hosts.txt", "-f",
                    dir + "/next.bin", "--parallel", "64", "--json"});
  fleet.wait_for_boots(2 * uint64_t(devices), std::chrono::seconds(120));
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  guard.reset();
  io.stop();
  io_thread.join();
  for (size_t i = 0; i < fleet.size(); ++i) run.updated += fleet[i].runs(next) && fleet[i].device->boots() == 2;
  return run;
}

void print(const char* label, const Run& r) {
  double per_device_kib = (r.rss_fleet - r.rss_before) * 1024.0 / r.devices;
  fmt::print("  {:<12} {:>7} {:>9} {:>10.2f} {:>12.1f} {:>14.0f}\n", label, r.devices, r.updated, r.seconds,
             r.devices / r.seconds, per_device_kib);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Push one image to N in-process devices with otakit upload; prints time and RSS per device"};
  int devices = 1000;
  app.add_option("--devices", devices, "Devices in the fleet (loopback addresses 127.0.x.y)")->check(CLI::Range(1, 60000));
  CLI11_PARSE(app, argc, argv);

  char pattern[] = "/tmp/otakit-bench-many-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return 2;
  const std::string dir = pattern;
  Run one = push_to(1, dir);
  Run many = push_to(devices, dir);
  std::remove((dir + "/next.bin").c_str());
  std::remove((dir + "/hosts.txt").c_str());
  ::rmdir(dir.c_str());

  fmt::print("push a 90,001-byte image to in-process devices (layout 512K, flash in RAM), one otakit upload:\n");
  fmt::print("  {:<12} {:>7} {:>9} {:>10} {:>12} {:>14}\n", "", "devices", "updated", "seconds", "devices/s",
             "RSS KiB/device");
  print("baseline", one);
  print("fleet", many);
  fmt::print("  process RSS with the fleet: {:.1f} MiB (flash is {} KiB per device)\n", many.rss_fleet,
             find_layout("512K")->flash_size / 1024);
  return one.updated == 1 && many.updated == devices ? 0 : 1;
}
