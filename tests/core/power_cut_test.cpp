// The fault sweep (MCUboot simulator style): run an update once to count its flash operations,
// then replay it once per operation index k with the power cut at k, in every variant: a clean
// cut, a torn write keeping the old bytes or leaving noise, a reset that keeps RTC memory, a
// second cut during the recovery, a one-time misread of a journal record while recovering, and
// bit rot at rest in a journal record or in an image slot. After each case the device must boot
// an image byte-equal to the old or the new one (rot in a slot may instead stop the boot, never
// start a mixed image), and when left to carry on it must end on the expected image.
//
// Plain, gzip, signed and filesystem updates, an upgrade to a smaller image, the 512K, 1M and
// 4M1M layouts. CI samples about 40 cut points per scenario; OTAKIT_SWEEP=full takes every one
// (scripts/sweep.sh), and prints the same figures.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "core/crypto/digest.h"
#include "core/util/bytes.h"
#include "platform/posix/zlib_inflater.h"
#include "tests/core/device_fixture.h"
#include "tests/core/gzip_helper.h"
#include "tests/core/journal_walk.h"

namespace otakit {
namespace {

using testing::Device;
using testing::make_image;
using testing::RecordSpan;
using testing::live_records;

enum class Goal { confirm_new, roll_back, filesystem_written };
enum class Kind { plain, gzip, signed_image, filesystem };

struct Scenario {
  const char* name;
  const char* layout;
  uint32_t old_size;
  uint32_t new_size;
  Goal goal;
  Kind kind;
};

enum class Variant { clean, torn_keep, torn_random, reset_keeps_rtc, second_cut, misread_record, rotten_record, rotten_slot };
constexpr Variant kVariants[] = {Variant::clean,        Variant::torn_keep,      Variant::torn_random,
                                 Variant::reset_keeps_rtc, Variant::second_cut, Variant::misread_record,
                                 Variant::rotten_record, Variant::rotten_slot};
const char* name(Variant v) {
  switch (v) {
    case Variant::clean: return "clean cut";
    case Variant::torn_keep: return "torn, old bytes kept";
    case Variant::torn_random: return "torn, noise";
    case Variant::reset_keeps_rtc: return "reset keeping RTC";
    case Variant::second_cut: return "second cut in the recovery";
    case Variant::misread_record: return "misread journal record";
    case Variant::rotten_record: return "rotten journal record";
    case Variant::rotten_slot: return "rotten byte in a slot";
  }
  return "?";
}

// Accepts a "signature" that is the payload's own SHA-256: the signed path (trailer parsed, the
// payload hashed and staged without its trailer) without a private key in the core tests.
class DigestAsSignature final : public crypto::SignatureVerifier {
 public:
  uint32_t signature_length() const override { return crypto::kSha256Size; }
  bool verify(const uint8_t digest[crypto::kSha256Size], const uint8_t* signature, size_t len) const override {
    return len == crypto::kSha256Size && std::memcmp(digest, signature, len) == 0;
  }
};

std::vector<uint8_t> signed_file(const std::vector<uint8_t>& image) {
  crypto::Sha256 sha;
  sha.update(image.data(), image.size());
  uint8_t digest[crypto::kSha256Size];
  sha.finish(digest);
  std::vector<uint8_t> out = image;
  out.insert(out.end(), digest, digest + sizeof(digest));
  uint8_t length[4];
  store_le32(length, crypto::kSha256Size);
  out.insert(out.end(), length, length + 4);
  return out;
}

struct Sweep {
  const Scenario sc;
  std::vector<uint8_t> old_image, new_image, upload;
  posix::ZlibInflater inflater;
  DigestAsSignature verifier;
  std::vector<uint8_t> provisioned;

  explicit Sweep(const Scenario& s)
      : sc(s),
        old_image(make_image(s.old_size, 1)),
        new_image(make_image(s.new_size, 2, 0, 0, s.kind == Kind::gzip)) {
    upload = sc.kind == Kind::gzip ? testing::gzip(new_image)
             : sc.kind == Kind::signed_image ? signed_file(new_image)
                                             : new_image;
  }

  std::unique_ptr<Device> device() {
    auto dev = std::make_unique<Device>(sc.layout);
    dev->options.inflater = &inflater;
    if (sc.kind == Kind::signed_image) dev->verifier = &verifier;
    if (!provisioned.empty()) dev->flash.bytes() = provisioned;
    dev->reboot();
    return dev;
  }

  bool filesystem_holds_new(Device& dev) {
    return std::memcmp(dev.flash.bytes().data() + dev.layout.fs_start, new_image.data(), new_image.size()) == 0;
  }
  bool goal_reached(Device& dev) {
    switch (sc.goal) {
      case Goal::confirm_new: return dev.runs(new_image) && !dev.boot->on_trial();
      case Goal::roll_back: return dev.runs(old_image) && dev.boot->state().rollbacks > 0;
      case Goal::filesystem_written: return dev.runs(old_image) && filesystem_holds_new(dev);
    }
    return false;
  }

  // One step of the user's intent at a time, until the goal holds; false if power was lost.
  bool drive(Device& dev, int* steps_left) {
    while ((*steps_left)-- > 0) {
      if (dev.flash.power_lost()) return false;
      if (goal_reached(dev)) return true;
      if (dev.boot->on_trial()) {
        if (sc.goal == Goal::confirm_new) dev.boot->confirm();
        if (dev.flash.power_lost()) return false;
      } else if (dev.runs(old_image)) {
        UpdateCommand command = sc.goal == Goal::filesystem_written ? UpdateCommand::filesystem : UpdateCommand::flash;
        if (!dev.stage(upload, command)) return false;
      }
      dev.reboot();
    }
    ADD_FAILURE() << sc.name << ": the device did not reach its goal in the step budget";
    return false;
  }

  bool one_byte_off(Device& dev, const std::vector<uint8_t>& image) {
    size_t differ = 0;
    for (size_t i = 0; i < image.size() && differ < 2; ++i) differ += dev.flash.bytes()[i] != image[i];
    return differ == 1;
  }

  // On trial, the previous image must sit intact in the secondary area: it is the rollback copy.
  bool rollback_copy_intact(Device& dev) {
    const BootState& s = dev.boot->state();
    if (!dev.boot->on_trial()) return true;
    return s.previous.size == old_image.size() &&
           std::memcmp(dev.flash.bytes().data() + s.previous_address, old_image.data(), old_image.size()) == 0;
  }
};

// The power comes back after the cut at k, with the variant's second fault.
BootReport recover(Device& dev, Variant v, uint64_t k) {
  std::vector<RecordSpan> records = live_records(dev);
  switch (v) {
    case Variant::clean:
    case Variant::torn_keep:
    case Variant::torn_random: return dev.power_cycle();
    case Variant::reset_keeps_rtc: dev.flash.clear_faults(); return dev.reboot();
    case Variant::second_cut:
      dev.flash.clear_faults();
      dev.flash.cut_power_at((k * 7 + 3) % 64, posix::TornMode::random_rest, uint32_t(k + 99));
      dev.reboot();
      return dev.power_cycle();
    case Variant::misread_record:
      dev.flash.clear_faults();
      if (!records.empty()) {
        const RecordSpan& r = records[k % records.size()];
        dev.flash.flip_bits_on_next_read(r.address + r.length - 1, 0x21);
      }
      return dev.reboot();
    case Variant::rotten_record:
      if (!records.empty()) {
        const RecordSpan& r = records[(k * 3) % records.size()];
        dev.flash.bytes()[r.address + (k % r.length)] ^= uint8_t(1u << (k % 8));
      }
      return dev.power_cycle();
    case Variant::rotten_slot: {
      // Anywhere in the images' sectors: the primary slot or the staging area below the boot area.
      uint32_t span = round_up_4k(std::max(dev.boot->state().active.size, 4096u));
      uint32_t at = uint32_t((k * 2654435761u) % span);
      if (k % 2 == 1) at = dev.layout.boot_area_start() - span + at;
      dev.flash.bytes()[at] ^= 0x04;
      return dev.power_cycle();
    }
  }
  return dev.power_cycle();
}

class PowerCut : public ::testing::TestWithParam<Scenario> {};

TEST_P(PowerCut, EveryCutAndSecondFaultEndsOnAWholeImageAndThenTheGoal) {
  Sweep sweep(GetParam());
  const Scenario& sc = sweep.sc;
  {
    auto factory = sweep.device();
    ASSERT_TRUE(factory->provision(sweep.old_image));
    sweep.provisioned = factory->flash.bytes();
  }

  // Fault-free run: count the flash operations of the whole update.
  auto reference = sweep.device();
  uint64_t before = reference->flash.mutating_operations();
  int budget = 20;
  ASSERT_TRUE(sweep.drive(*reference, &budget));
  const uint64_t total = reference->flash.mutating_operations() - before;
  EXPECT_EQ(reference->flash.alignment_violations(), 0u);

  const char* mode = std::getenv("OTAKIT_SWEEP");
  const bool full = mode != nullptr && std::strcmp(mode, "full") == 0;
  const uint64_t stride = full ? 1 : std::max<uint64_t>(1, total / 40);
  uint64_t cut_points = 0, cases = 0, stopped = 0;
  for (uint64_t k = stride / 2; k < total; k += stride) {
    ++cut_points;
    for (Variant v : kVariants) {
      auto dev = sweep.device();
      posix::TornMode torn = v == Variant::torn_keep ? posix::TornMode::keep_rest
                             : v == Variant::torn_random || v == Variant::second_cut ? posix::TornMode::random_rest
                                                                                      : posix::TornMode::clean;
      dev->flash.cut_power_at(k, torn, uint32_t(k * 8 + int(v)));
      int steps = 20;
      ASSERT_FALSE(sweep.drive(*dev, &steps)) << "cut at " << k << " never happened";
      BootReport r = recover(*dev, v, k);
      const std::string where = std::string(sc.name) + ", cut at op " + std::to_string(k) + ", " + name(v);
      bool whole = dev->runs(sweep.old_image) || dev->runs(sweep.new_image);
      if (v == Variant::rotten_slot) {
        // A rotten image byte can leave no verified image; then nothing may start. A byte outside
        // every segment (padding) leaves a valid image, which is adopted as it is.
        bool rotten_but_valid = r.action == BootAction::adopted &&
                                (sweep.one_byte_off(*dev, sweep.old_image) || sweep.one_byte_off(*dev, sweep.new_image));
        ASSERT_TRUE(!r.bootable || whole || rotten_but_valid)
            << where << ": started a mixed image: " << describe(r.action) << " " << r.detail;
        stopped += r.bootable ? 0 : 1;
        ++cases;
        continue;
      }
      ASSERT_TRUE(r.bootable) << where << ": " << describe(r.action) << " " << r.detail;
      ASSERT_TRUE(whole) << where << ": primary is neither the old nor the new image (" << describe(r.action) << " "
                         << r.detail << ")";
      ASSERT_TRUE(sweep.rollback_copy_intact(*dev)) << where;
      steps = 20;
      ASSERT_TRUE(sweep.drive(*dev, &steps)) << where;
      EXPECT_EQ(dev->flash.alignment_violations(), 0u) << where;
      ++cases;
    }
  }
  std::printf("[ sweep ] %s (%s, %u -> %u bytes): %llu flash operations, %llu cut points%s, %zu variants, "
              "%llu cases; rot in a slot stopped the boot %llu times\n",
              sc.name, sc.layout, sc.old_size, sc.new_size, (unsigned long long)total,
              (unsigned long long)cut_points, full ? " (every one)" : " (sampled)", std::size(kVariants),
              (unsigned long long)cases, (unsigned long long)stopped);
  RecordProperty("cut_points", int(cut_points));
  EXPECT_EQ(cases, cut_points * std::size(kVariants));
}

// Capacities: 1M has its boot area at 0xF6000, so at most half, 503808 bytes, is swapped against
// a running image; 512K takes 243712; 4M1M is bounded by the sector table's 254 sectors.
INSTANTIATE_TEST_SUITE_P(
    Updates, PowerCut,
    ::testing::Values(Scenario{"one_sector", "1M", 4096, 4096, Goal::confirm_new, Kind::plain},
                      Scenario{"odd_size", "1M", 100003, 300001, Goal::confirm_new, Kind::plain},
                      Scenario{"odd_size_rollback", "1M", 100003, 300001, Goal::roll_back, Kind::plain},
                      Scenario{"near_max_1M", "1M", 100000, 503808 - 1001, Goal::confirm_new, Kind::plain},
                      Scenario{"to_smaller", "1M", 300001, 100003, Goal::confirm_new, Kind::plain},
                      Scenario{"gzip", "1M", 120000, 300001, Goal::confirm_new, Kind::gzip},
                      Scenario{"signed", "4M1M", 150000, 400001, Goal::confirm_new, Kind::signed_image},
                      Scenario{"rollback_4M1M", "4M1M", 300001, 700001, Goal::roll_back, Kind::plain},
                      Scenario{"small_chip_512K", "512K", 100000, 200001, Goal::confirm_new, Kind::plain},
                      Scenario{"filesystem", "4M1M", 150000, 200000, Goal::filesystem_written, Kind::filesystem}),
    [](const ::testing::TestParamInfo<Scenario>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace otakit
