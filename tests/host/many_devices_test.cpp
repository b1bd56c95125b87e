// Many in-process devices on one io_context, each on its own loopback address and port 8266 with
// flash in RAM: `otakit upload`'s many-targets mode pushes a new image to all of them, each
// reboots in-process into it, and one whose flash loses power while staging keeps its old image.
// The same fleet also runs on simulated time with the uploader in its thread, each device
// logging in its own name.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <map>
#include <future>
#include <thread>

#include "device/loopback_fleet.h"
#include "host/image_builder.h"
#include "net/espota_uploader.h"
#include "net/log_sinks.h"
#include "net/manual_clock.h"
#include "tests/host/host_test_support.h"
#include "tests/host/mdns_test_support.h"

namespace otakit {
namespace {

constexpr int kDevices = 200;

host::Bytes image(uint32_t size, uint64_t seed, const char* version) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.seed = seed;
  spec.version = version;
  spec.size_code = 0;  // 512K: the smallest chip, so the fleet stays small in RAM
  return host::build_esp_image(spec);
}

class ManyDevices : public ::testing::Test {
 protected:
  const FlashLayout& layout = *find_layout("512K");
  host::Bytes factory = image(60000, 1, "1.0.0"), next = image(90001, 2, "2.0.0");
  boost::asio::io_context io;
  net::SteadyClock clock;  // real time: a real `otakit upload` process pushes to the fleet
  device::LoopbackFleet fleet{io, clock, layout, kDevices, factory};

  // Runs fn on the io thread, where the devices live, and waits for it.
  template <typename Fn>
  auto on_io(Fn fn) {
    std::packaged_task<decltype(fn())()> task(fn);
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }
};

TEST_F(ManyDevices, OneUploadCommandUpdatesTwoHundredDevicesThatRebootInProcess) {
  test::TempDir dir;
  test::spit(dir / "next.bin", next);
  std::ofstream hosts(dir / "hosts.txt");
  for (size_t i = 0; i < fleet.size(); ++i) hosts << fleet[i].address << "\n";
  hosts.close();
  device::FleetMember& faulty = fleet[77];
  faulty.flash.cut_power_at(12, posix::TornMode::random_rest, 5);  // in the middle of staging

  auto guard = boost::asio::make_work_guard(io);
  std::thread io_thread([this] { io.run(); });
  test::RunResult r = test::run(std::string(OTAKIT_BINARY) + " upload -I 127.0.0.1 --hosts-file " +
                                    test::quote(dir / "hosts.txt") + " -f " + test::quote(dir / "next.bin") +
                                    " --parallel 40 --retries 0 --json",
                                dir);
  const bool all_rebooted = fleet.wait_for_boots(2 * kDevices - 1, std::chrono::seconds(60));
  on_io([&] {
    faulty.flash.clear_faults();
    return faulty.device->power_cycle().bootable;
  });
  guard.reset();
  io.stop();
  io_thread.join();

  EXPECT_NE(r.exit_code, 0) << "one device failed, so the command must say so";
  EXPECT_NE(r.out.find(faulty.address), std::string::npos) << r.out;
  ASSERT_TRUE(all_rebooted) << "boots seen: " << fleet.boots() << "\n" << r.err;
  int updated = 0;
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (&fleet[i] == &faulty) continue;
    EXPECT_TRUE(fleet[i].runs(next)) << fleet[i].address;
    EXPECT_EQ(fleet[i].device->boots(), 2u) << fleet[i].address << ": one reboot, in this process";
    updated += fleet[i].runs(next);
  }
  EXPECT_EQ(updated, kDevices - 1);
  EXPECT_TRUE(faulty.runs(factory)) << "the interrupted device keeps its old image";
  EXPECT_EQ(faulty.device->last_boot().action, BootAction::booted);
}

// One thread runs everything: the io_context while anything is ready (bytes on loopback are
// delivered within the sending call), then the clock to the next deadline. The devices hold
// their results for result_delay_ms, so the whole push takes exactly that long in their time.
TEST(SimulatedFleet, UploaderAndDevicesShareOneClockAndEachDeviceLogsInItsName) {
  // Its own network namespace: the 200-device test may hold 127.0.1.1:8266 in another process.
  std::string why = net::enter_private_network(true);
  if (!why.empty()) GTEST_SKIP() << "needs root to create a network namespace (" << why << ")";
  constexpr int kSimulated = 30;
  const FlashLayout& layout = *find_layout("512K");
  host::Bytes factory = image(60000, 1, "1.0.0"), next = image(90001, 2, "2.0.0");
  boost::asio::io_context io;
  net::ManualClock clock;
  net::CaptureSink log(net::LogLevel::info);
  device::LoopbackFleet fleet(io, clock, layout, kSimulated, factory, &log);
  std::vector<net::EspotaTarget> targets;
  for (size_t i = 0; i < fleet.size(); ++i) targets.push_back({fleet[i].address, 8266});
  net::EspotaUploadOptions options;
  options.host_ip = "127.0.0.1";
  options.parallel = kSimulated;
  options.retries = 0;
  std::vector<net::EspotaUploadResult> results;
  net::async_upload_all(io, clock, net::EspotaImage::from(next), targets, options, {},
                        [&](std::vector<net::EspotaUploadResult> r) { results = std::move(r); });
  while (results.empty() || fleet.boots() < 2u * kSimulated) {
    io.restart();
    if (io.poll() > 0) continue;
    uint32_t due = 0;
    ASSERT_TRUE(clock.next_deadline(&due)) << "nothing left to happen, at " << clock.now_ms() << " ms";
    clock.advance(uint32_t(std::max(0, int32_t(due - clock.now_ms()))));
  }
  EXPECT_EQ(clock.now_ms(), 50u) << "the devices' result delay is all the time the push takes";
  ASSERT_EQ(results.size(), targets.size());
  for (size_t i = 0; i < fleet.size(); ++i) {
    EXPECT_EQ(results[i].outcome, espota::UploadOutcome::ok) << fleet[i].address << ": " << results[i].message;
    EXPECT_TRUE(fleet[i].runs(next)) << fleet[i].address;
    EXPECT_DOUBLE_EQ(results[i].seconds, 0.05);
  }
  std::map<std::string, int> staged;
  for (const auto& line : log.lines())
    if (line.message.find("espota: update of 90001 bytes from 127.0.0.1:") == 0) ++staged[line.identity];
  EXPECT_EQ(staged.size(), size_t(kSimulated));
  for (size_t i = 0; i < fleet.size(); ++i)
    EXPECT_EQ(staged[device::LoopbackFleet::identity_of(fleet[i].address)], 1) << fleet[i].address;
}

// The application's calls on the object: stage, reboot, trial, rollback, confirm.
// mDNS for a fleet in one process: every device advertises through the one socket of a hub.
TEST(SimulatedFleet, TwoHundredDevicesAdvertiseThroughOneMdnsSocket) {
  std::string why = net::enter_private_network(true);
  if (!why.empty()) GTEST_SKIP() << "needs root to create a network namespace (" << why << ")";
  constexpr int kAdvertisers = 200;
  const FlashLayout& layout = *find_layout("512K");
  boost::asio::io_context io;
  net::ManualClock clock;
  device::LoopbackFleet fleet(io, clock, layout, kAdvertisers, image(60000, 1, "1.0.0"), nullptr, true);
  EXPECT_EQ(net::own_udp_sockets_on(5353).count, 1u) << "one hub socket answers for all 200 hostnames";
  EXPECT_EQ(net::own_udp_sockets_on(8266).count, size_t(kAdvertisers)) << "each device keeps its own espota port";
  // Probing (a random 0-250 ms, then 3 x 250 ms) and the first announcement are over by 1.1 s.
  for (int step = 0; step < 100000 && clock.now_ms() < 2000; ++step) {
    io.restart();
    io.poll();
    uint32_t due = 0;
    if (!clock.next_deadline(&due)) break;
    clock.advance(uint32_t(std::max(0, int32_t(due - clock.now_ms()))));
  }
  for (size_t i = 0; i < fleet.size(); ++i) {
    ASSERT_NE(fleet[i].device->mdns(), nullptr);
    EXPECT_TRUE(fleet[i].device->mdns()->announced()) << fleet[i].address;
    EXPECT_EQ(fleet[i].device->mdns()->hostname(), device::LoopbackFleet::hostname_of(fleet[i].address))
        << "no false conflicts between the fleet's own names";
  }
}

// One device without a network, its flash holding factory; null if the factory install fails.
std::unique_ptr<device::FleetMember> unit_with(const FlashLayout& layout, const host::Bytes& factory) {
  auto unit = std::make_unique<device::FleetMember>(layout);
  if (!BootLoader(unit->flash, layout, unit->rtc).provision(factory.data(), uint32_t(factory.size()))) return nullptr;
  unit->device = std::make_unique<device::Device>(device::DeviceParts{unit->flash, unit->rtc, layout, {}, nullptr});
  return unit;
}

TEST(DeviceObject, StagesRollsBackAndConfirmsWithoutANetwork) {
  const FlashLayout& layout = *find_layout("512K");
  host::Bytes factory = image(60000, 1, "1.0.0"), next = image(90001, 2, "2.0.0");
  std::unique_ptr<device::FleetMember> provisioned = unit_with(layout, factory);
  ASSERT_TRUE(provisioned);
  device::FleetMember& unit = *provisioned;
  device::Device& dev = *unit.device;
  dev.set_auto_confirm(false);
  ASSERT_EQ(dev.boot().action, BootAction::booted);
  ASSERT_TRUE(dev.stage(next)) << dev.updater().error_message();
  EXPECT_EQ(dev.reboot().action, BootAction::upgraded);
  EXPECT_TRUE(dev.ota().on_trial());
  ASSERT_TRUE(dev.rollback());
  BootReport r = dev.reboot();
  EXPECT_EQ(r.action, BootAction::rolled_back) << r.detail;
  EXPECT_STREQ(r.detail, "the application rejected the image on trial");
  EXPECT_TRUE(unit.runs(factory));
  ASSERT_TRUE(dev.stage(next));
  EXPECT_EQ(dev.power_cycle().action, BootAction::booted) << "the command was in RTC memory, now lost";
  ASSERT_TRUE(dev.stage(next));
  EXPECT_EQ(dev.reboot().action, BootAction::upgraded);
  EXPECT_TRUE(dev.confirm());
  EXPECT_FALSE(dev.ota().on_trial());
  EXPECT_TRUE(unit.runs(next));
}

TEST(DeviceObject, AFailedHealthCheckRollsBackAndTheDeviceSaysSo) {
  const FlashLayout& layout = *find_layout("512K");
  host::Bytes factory = image(60000, 1, "1.0.0"), next = image(90001, 2, "2.0.0");
  std::unique_ptr<device::FleetMember> provisioned = unit_with(layout, factory);
  ASSERT_TRUE(provisioned);
  device::FleetMember& unit = *provisioned;
  device::Device& dev = *unit.device;
  std::vector<std::string> checked;
  dev.set_health_check([&](const device::RunningImage& running) {
    checked.push_back(running.version);
    return running.version != "2.0.0";  // this board's sensor fails under 2.0.0
  });
  std::vector<BootAction> boots;
  dev.on_boot([&](const BootReport& r) { boots.push_back(r.action); });
  ASSERT_EQ(dev.boot().action, BootAction::booted);
  EXPECT_EQ(dev.pull_facts().image, http::ImageState::confirmed);
  EXPECT_TRUE(checked.empty()) << "a confirmed image is not checked again";
  ASSERT_TRUE(dev.stage(next));
  const BootReport r = dev.reboot();  // without a network the reset after the failed check runs at once
  EXPECT_EQ(r.action, BootAction::rolled_back) << r.detail;
  EXPECT_EQ(boots, (std::vector<BootAction>{BootAction::booted, BootAction::upgraded, BootAction::rolled_back}));
  EXPECT_EQ(checked, std::vector<std::string>{"2.0.0"});
  EXPECT_TRUE(unit.runs(factory));
  EXPECT_TRUE(dev.rolled_back());
  EXPECT_EQ(dev.pull_facts().image, http::ImageState::rolled_back);
  EXPECT_EQ(dev.reboot().action, BootAction::booted);
  EXPECT_EQ(dev.pull_facts().image, http::ImageState::rolled_back) << "until the next update";
  ASSERT_TRUE(dev.stage(image(90001, 3, "2.0.1")));
  EXPECT_EQ(dev.reboot().action, BootAction::upgraded);
  EXPECT_FALSE(dev.ota().on_trial()) << "2.0.1 passed its check";
  EXPECT_FALSE(dev.rolled_back());
  EXPECT_EQ(dev.pull_facts().image, http::ImageState::confirmed);
}

TEST(DeviceObject, ItsFactsBeforeTheFirstBootNameNoImage) {
  const FlashLayout& layout = *find_layout("512K");
  std::unique_ptr<device::FleetMember> provisioned = unit_with(layout, image(60000, 1, "1.0.0"));
  ASSERT_TRUE(provisioned);
  device::Device& dev = *provisioned->device;
  net::PullDeviceFacts before = dev.pull_facts();
  EXPECT_EQ(before.free_space, 0u) << "nothing can be staged before the boot path ran";
  EXPECT_EQ(before.sketch_size, 0u);
  EXPECT_EQ(before.image, http::ImageState::confirmed);
  ASSERT_EQ(dev.boot().action, BootAction::booted);
  EXPECT_EQ(dev.pull_facts().sketch_size, 60000u);
  EXPECT_GT(dev.pull_facts().free_space, 0u);
}

}  // namespace
}  // namespace otakit
