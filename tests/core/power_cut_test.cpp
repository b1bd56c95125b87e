// Power cut at every flash operation (MCUboot simulator style): run the whole update once to
// count the operations, then replay it once per operation index k with the power cut at k (clean,
// torn keeping old bytes, torn with random bytes, and a reset that keeps RTC memory). After each
// cut the device must boot an image byte-equal to the old or the new one, and when left to carry
// on it must end on the expected image.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/core/device_fixture.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;

enum class Goal { confirm_new, roll_back };

struct Scenario {
  const char* name;
  uint32_t old_size;
  uint32_t new_size;
  Goal goal;
};

enum class Cut { clean, torn_keep, torn_random, reset_keeps_rtc };
constexpr Cut kCuts[] = {Cut::clean, Cut::torn_keep, Cut::torn_random, Cut::reset_keeps_rtc};

struct Images {
  std::vector<uint8_t> old_image, new_image;
};

// One step of the user's intent at a time, until the goal holds; false if power was lost.
bool drive(Device& dev, const Images& img, Goal goal, int* steps_left) {
  while ((*steps_left)-- > 0) {
    if (dev.flash.power_lost()) return false;
    const BootState& s = dev.boot->state();
    bool new_runs = dev.runs(img.new_image), old_runs = dev.runs(img.old_image);
    if (goal == Goal::confirm_new && new_runs && !dev.boot->on_trial()) return true;
    if (goal == Goal::roll_back && old_runs && s.rollbacks > 0) return true;
    if (dev.boot->on_trial()) {
      if (goal == Goal::confirm_new) dev.boot->confirm();
      if (dev.flash.power_lost()) return false;
    } else if (old_runs) {
      if (!dev.stage(img.new_image)) return false;
    }
    dev.reboot();
  }
  ADD_FAILURE() << "device did not reach its goal in the step budget";
  return false;
}

// On trial, the previous image must sit intact in the secondary area: it is the rollback copy.
bool rollback_copy_intact(Device& dev, const std::vector<uint8_t>& old_image) {
  const BootState& s = dev.boot->state();
  if (!dev.boot->on_trial()) return true;
  return s.previous.size == old_image.size() &&
         std::memcmp(dev.flash.bytes().data() + s.previous_address, old_image.data(), old_image.size()) == 0;
}

class PowerCut : public ::testing::TestWithParam<Scenario> {};

TEST_P(PowerCut, DeviceAlwaysBootsOldOrNewAndEndsOnTheExpectedImage) {
  const Scenario sc = GetParam();
  Images img{make_image(sc.old_size, 1), make_image(sc.new_size, 2)};
  Device factory;
  ASSERT_TRUE(factory.boot->provision(img.old_image.data(), sc.old_size, 0));
  factory.reboot();
  const std::vector<uint8_t> provisioned = factory.flash.bytes();

  auto fresh = [&] {
    auto dev = std::make_unique<Device>();
    dev->flash.bytes() = provisioned;
    dev->reboot();
    return dev;
  };

  // Fault-free run: count the flash operations of the whole update.
  auto reference = fresh();
  uint64_t before = reference->flash.mutating_operations();
  int budget = 20;
  ASSERT_TRUE(drive(*reference, img, sc.goal, &budget));
  const uint64_t total = reference->flash.mutating_operations() - before;

  // Stride: every operation by default; OTAKIT_POWER_CUT_STRIDE=n samples (for quick local runs).
  uint64_t stride = 1;
  if (const char* s = std::getenv("OTAKIT_POWER_CUT_STRIDE")) stride = std::max(1, std::atoi(s));
  uint64_t cases = 0;
  for (uint64_t k = 0; k < total; k += stride) {
    for (Cut cut : kCuts) {
      auto dev = fresh();
      posix::TornMode mode = cut == Cut::torn_keep ? posix::TornMode::keep_rest
                      : cut == Cut::torn_random ? posix::TornMode::random_rest
                                                : posix::TornMode::clean;
      dev->flash.cut_power_at(k, mode, uint32_t(k * 4 + int(cut)));
      int steps = 20;
      ASSERT_FALSE(drive(*dev, img, sc.goal, &steps)) << "cut at " << k << " never happened";
      BootReport r = cut == Cut::reset_keeps_rtc ? (dev->flash.clear_faults(), dev->reboot()) : dev->power_cycle();
      ASSERT_TRUE(r.bootable) << "cut " << int(cut) << " at op " << k << ": " << describe(r.action) << " " << r.detail;
      ASSERT_TRUE(dev->runs(img.old_image) || dev->runs(img.new_image))
          << "cut " << int(cut) << " at op " << k << ": primary is neither the old nor the new image";
      ASSERT_TRUE(rollback_copy_intact(*dev, img.old_image)) << "cut " << int(cut) << " at op " << k;
      steps = 20;
      ASSERT_TRUE(drive(*dev, img, sc.goal, &steps)) << "cut " << int(cut) << " at op " << k;
      ++cases;
    }
  }
  std::printf("[ power-cut ] %s: %llu flash operations, %llu cut points covered (4 variants each)\n", sc.name,
              (unsigned long long)total, (unsigned long long)cases);
  RecordProperty("cut_points", int(cases));
  EXPECT_EQ(cases, ((total + stride - 1) / stride) * 4);
}

// 1M layout: the boot area starts at 0xF8000; both images are kept, so at most half of that,
// 507904 bytes, can be swapped.
INSTANTIATE_TEST_SUITE_P(
    Sizes, PowerCut,
    ::testing::Values(Scenario{"one_sector", 4096, 4096, Goal::confirm_new},
                      Scenario{"odd_size", 100003, 300001, Goal::confirm_new},
                      Scenario{"odd_size_rollback", 100003, 300001, Goal::roll_back},
                      Scenario{"near_max_1M", 100000, 507904 - 1001, Goal::confirm_new},
                      Scenario{"near_max_1M_rollback", 100000, 507904 - 1001, Goal::roll_back}),
    [](const ::testing::TestParamInfo<Scenario>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace otakit
