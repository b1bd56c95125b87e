// The device core on the target's own instruction set, under QEMU (lx106 and Cortex-M3), with no
// C++ standard library: a signed image arrives through the espota device session replaying the
// recorded espota.py session, the Updater checks its signature with BearSSL and stages it, the
// boot path swaps it in across a power cut and resumes, and the result is compared byte for byte.
// A tampered image must be refused. It prints figures (stack, instructions) as name=value lines
// and exits through semihosting with 0 only when every check passed.
#include <stdint.h>
#include <string.h>

#include "core/boot/app_boot.h"
#include "core/boot/loader.h"
#include "core/crypto/rsa_public_key.h"
#include "core/crypto/signature_verifier.h"
#include "core/espota/auth.h"
#include "core/espota/device_session.h"
#include "core/flash/layout.h"
#include "core/image/signature_check.h"
#include "core/updater/update_sink.h"
#include "core/updater/updater.h"
#include "platform/mcu/board.h"
#include "platform/mcu/console.h"
#include "platform/mcu/ram_flash.h"
#include "platform/mcu/stack_paint.h"
#include "tests/mcu/bench_pattern.h"
#include "tests/mcu/selftest_data.h"

// Placement construction without <new>: the loader and the Updater are rebuilt at every "boot".
inline void* operator new(size_t, void* where) noexcept { return where; }

namespace otakit::mcu {
namespace {

namespace d = data;

int failures = 0;

void check(bool ok, const char* what) {
  print(ok ? "ok   " : "FAIL ");
  print(what);
  print("\n");
  if (!ok) ++failures;
}

// Storage for objects that live as long as the program, as a sketch keeps Update and the OTA
// responder as globals: the figures below are then the stack alone.
template <typename T>
struct Slot {
  alignas(T) unsigned char bytes[sizeof(T)];
  template <typename... Args>
  T& make(Args&&... args) {
    return *new (bytes) T(static_cast<Args&&>(args)...);
  }
  T& get() { return *reinterpret_cast<T*>(bytes); }
};

constexpr uint32_t kSnapshotSize = kBenchPayloadSize + 4096;  // also the 1 MiB bench file
alignas(4) uint8_t flash_bytes[0x100000];
alignas(4) uint8_t snapshot[kSnapshotSize];
uint8_t rtc_snapshot[kRtcUserMemorySize];

const FlashLayout& layout = *find_layout("1M");
RamFlash flash(flash_bytes, sizeof(flash_bytes));
VolatileRtcMemory rtc;
crypto::RsaPublicKey public_key;
Slot<crypto::RsaSha256Verifier> verifier;
Slot<BootLoader> loader;
Slot<AppBoot> app_boot;
Slot<Updater> updater;
Slot<UpdaterSink> sink;
Slot<espota::DeviceSession> session;
BootReport last_boot;

// ---- the write path: espota session -> UpdaterSink -> Updater ----------------------------------

bool recorded_random(void*, uint8_t* out, size_t len) {
  if (len != sizeof(d::kRecordedNonceRandom)) return false;
  memcpy(out, d::kRecordedNonceRandom, len);
  return true;
}

proto::PeerAddress loopback(uint16_t port) {
  proto::PeerAddress peer;
  peer.ip[0] = 127;
  peer.ip[3] = 1;
  peer.ip_length = 4;
  peer.port = port;
  return peer;
}

struct Replay {
  bool connect_requested = false;
  bool finished = false;
  bool success = false;
  bool replies_match = true;  // every datagram and ack equals what the recording says
  const char* expect_udp = nullptr;
  uint32_t expect_ack = 0;
  bool saw_result = false;
};

bool equals(const uint8_t* data, size_t len, const char* text) {
  return len == strlen(text) && memcmp(data, text, len) == 0;
}

bool equals_decimal(const uint8_t* data, size_t len, uint32_t value) {
  char digits[11];
  size_t at = sizeof(digits);
  do {
    digits[--at] = char('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return len == sizeof(digits) - at && memcmp(data, digits + at, len) == 0;
}

void drain(Replay& r) {
  espota::DeviceEvent e;
  while (session.get().poll(&e)) {
    switch (e.action) {
      case espota::DeviceAction::send_udp:
        if (r.expect_udp == nullptr || !equals(e.data, e.len, r.expect_udp)) r.replies_match = false;
        r.expect_udp = nullptr;
        break;
      case espota::DeviceAction::connect_tcp:
        r.connect_requested = e.peer.port == d::kUploaderTcpPort;
        break;
      case espota::DeviceAction::tcp_send:
        if (r.expect_ack != 0) {
          if (!equals_decimal(e.data, e.len, r.expect_ack)) r.replies_match = false;
          r.expect_ack = 0;
        } else {
          r.saw_result = equals(e.data, e.len, d::kRecordedResult);
        }
        break;
      case espota::DeviceAction::finished:
        r.finished = true;
        r.success = e.success;
        if (!e.success && e.text) print(e.text), print("\n");
        break;
      default:
        break;
    }
  }
}

// The uploader's side of the recording, message by message; the device's answers are checked.
void replay_upload(void* ctx) {
  Replay& r = *static_cast<Replay*>(ctx);
  espota::DeviceSession& s = session.get();
  const proto::PeerAddress uploader = loopback(d::kUploaderUdpPort);
  uint32_t now = 1000;
  r.expect_udp = d::kRecordedChallenge;
  s.on_datagram(uploader, reinterpret_cast<const uint8_t*>(d::kInvitation), strlen(d::kInvitation), now);
  drain(r);
  r.expect_udp = d::kRecordedAccept;
  s.on_datagram(uploader, reinterpret_cast<const uint8_t*>(d::kAuthReply), strlen(d::kAuthReply), ++now);
  drain(r);
  if (!r.connect_requested) return;
  s.on_tcp_connected(++now);
  drain(r);
  for (uint32_t at = 0; at < d::kSignedImageSize; at += d::kChunkSize) {
    const uint32_t n = d::kSignedImageSize - at < d::kChunkSize ? d::kSignedImageSize - at : d::kChunkSize;
    r.expect_ack = n;
    s.on_tcp_data(d::kSignedImage + at, n, ++now);
    drain(r);
    if (r.finished) return;
  }
  uint32_t deadline = 0;
  while (!r.finished && s.next_deadline(&deadline)) {
    now = deadline;
    s.on_tick(now);
    drain(r);
  }
}

// ---- the boot path ------------------------------------------------------------------------------

BootReport boot_and_measure(uint32_t* stack_bytes) {
  *stack_bytes = measure_stack(
      [](void*) {
        BootLoader& l = loader.make(flash, layout, rtc);
        last_boot = l.boot();
      },
      nullptr);
  return last_boot;
}

bool primary_holds(const uint8_t* image, uint32_t size) { return memcmp(flash.bytes(), image, size) == 0; }

void start_application() {
  AppBoot& boot = app_boot.make(flash, layout, rtc);
  boot.load();
  Updater& u = updater.make(flash, layout, boot);
  u.set_verifier(&verifier.get());
  sink.make(u);
}

// ---- the checks ---------------------------------------------------------------------------------

void provision_factory_image() {
  flash.erase_all();
  check(loader.make(flash, layout, rtc).provision(d::kFactoryImage, d::kFactoryImageSize),
        "factory image provisioned");
  uint32_t stack = 0;
  const BootReport first = boot_and_measure(&stack);
  check(first.bootable && first.action == BootAction::booted, "first boot runs the factory image");
}

void upload_over_espota(uint32_t* write_stack) {
  start_application();
  espota::DeviceConfig config;
  const espota::Hex32 hash = espota::password_hash(d::kPassword, strlen(d::kPassword));
  config.password_hash = hash.text;
  config.random = {nullptr, recorded_random};
  session.make(config, sink.get());
  Replay replay;
  *write_stack = measure_stack(replay_upload, &replay);
  check(replay.replies_match, "the device's AUTH, OK and acks equal the recording's");
  check(replay.finished && replay.success && replay.saw_result, "espota upload accepted: signature verified, image staged");
}

void swap_across_power_cut(uint32_t* boot_stack) {
  // A dry run on a copy counts the boot's flash operations; the real one is cut half way.
  memcpy(snapshot, flash_bytes, sizeof(flash_bytes));
  memcpy(rtc_snapshot, rtc.bytes(), sizeof(rtc_snapshot));
  const uint32_t before = flash.operations();
  const BootReport dry = boot_and_measure(boot_stack);
  const uint32_t operations = flash.operations() - before;
  check(dry.action == BootAction::upgraded, "dry run: the boot path swaps the staged image in");
  print_figure("boot_flash_operations", operations);
  memcpy(flash_bytes, snapshot, sizeof(flash_bytes));
  memcpy(rtc.bytes(), rtc_snapshot, sizeof(rtc_snapshot));

  flash.cut_power_after(operations / 2);
  uint32_t cut_stack = 0;
  const BootReport cut = boot_and_measure(&cut_stack);
  check(!flash.powered() && cut.action != BootAction::upgraded, "power cut half way through the swap");
  check(!primary_holds(d::kSignedImage, d::kSignedPayloadSize) && !primary_holds(d::kFactoryImage, d::kFactoryImageSize),
        "after the cut the primary slot holds neither image whole");

  rtc.power_loss();  // the eboot command in RTC memory is gone: only the journal remains
  flash.restore_power();
  uint32_t resume_stack = 0;
  const BootReport resumed = boot_and_measure(&resume_stack);
  check(resumed.action == BootAction::resumed && resumed.bootable, "next boot resumes the swap from the journal");
  check(primary_holds(d::kSignedImage, d::kSignedPayloadSize), "primary slot equals the new image byte for byte");
  const BootState& state = loader.get().state();
  check(state.has_previous && memcmp(flash.bytes() + state.previous_address, d::kFactoryImage, d::kFactoryImageSize) == 0,
        "the old image is kept whole as the rollback copy");
  if (cut_stack > *boot_stack) *boot_stack = cut_stack;
  if (resume_stack > *boot_stack) *boot_stack = resume_stack;

  start_application();
  check(app_boot.get().on_trial() && app_boot.get().confirm(), "the new image runs on trial and is confirmed");
  check(flash.alignment_violations() == 0, "no flash call broke the chip's alignment rules");
}

void refuse_tampered_image() {
  const uint32_t size = d::kSignedImageSize;
  memcpy(snapshot, d::kSignedImage, size);
  snapshot[d::kSignedPayloadSize / 2] ^= 0x01;
  const SignatureCheck tampered = check_signed_file(snapshot, size, public_key, SignatureFormat::current);
  check(tampered.status == SignatureStatus::bad_signature, "BearSSL refuses the tampered image's signature");
  const SignatureCheck genuine = check_signed_file(d::kSignedImage, size, public_key, SignatureFormat::current);
  check(genuine.ok(), "BearSSL verifies the signature otakit sign (OpenSSL) made");

  Updater& u = updater.get();
  bool refused = u.begin(size);
  for (uint32_t at = 0; refused && at < size; at += d::kChunkSize) {
    const uint32_t n = size - at < d::kChunkSize ? size - at : d::kChunkSize;
    refused = u.write(snapshot + at, n) == n;
  }
  refused = refused && !u.end() && u.error() == UpdateError::sign;
  check(refused, "the Updater refuses the tampered image (ERROR[12])");
}

// The counter's ticks times ns_per_tick() must count instructions: a loop of a known count.
void calibrate_counter() {
  constexpr uint32_t kIterations = 1000000;
  const uint64_t start = cycle_ticks();
  run_known_loop(kIterations);
  const uint64_t counted = (cycle_ticks() - start) * ns_per_tick();
  print_figure("known_loop_instructions", 2 * kIterations);
  print_figure("known_loop_counted", counted);
  const uint64_t expected = 2 * kIterations, slack = expected / 100;  // the readings' own cost and rounding
  check(counted + slack >= expected && counted <= expected + slack,
        "the cycle counter counts instructions (run with -icount shift=0), within 1%");
}

// Instructions of one check_signed_file() over 1 MiB (SHA-256 of it, then RSA-2048), from the
// cycle counter: run under -icount shift=0 every instruction takes one virtual nanosecond.
void bench_verify() {
  for (uint32_t i = 0; i < kBenchPayloadSize; ++i) snapshot[i] = bench_byte(i);
  memcpy(snapshot + kBenchPayloadSize, d::kBenchTrailer, d::kBenchTrailerSize);
  const uint32_t size = kBenchPayloadSize + d::kBenchTrailerSize;
  const uint64_t start = cycle_ticks();
  const SignatureCheck result = check_signed_file(snapshot, size, public_key, SignatureFormat::current);
  const uint64_t ticks = cycle_ticks() - start;
  check(result.ok(), "the 1 MiB bench file verifies");
  print_figure("verify_1mib_ticks", ticks);
  print_figure("verify_1mib_instructions", ticks * ns_per_tick());
}

}  // namespace
}  // namespace otakit::mcu

extern "C" int mcu_main() {
  using namespace otakit;
  using namespace otakit::mcu;
  print("otakit core self-test on ");
  print(board_name());
  print("\n");
  check(public_key.load(reinterpret_cast<const uint8_t*>(data::kPublicKeyPem), data::kPublicKeyPemSize) ==
            crypto::KeyError::ok,
        "public key (otakit keygen) loads");
  verifier.make(public_key, crypto::RsaPadding::pkcs1_sha256);

  uint32_t write_stack = 0, boot_stack = 0;
  provision_factory_image();
  upload_over_espota(&write_stack);
  swap_across_power_cut(&boot_stack);
  refuse_tampered_image();
  calibrate_counter();
  bench_verify();
  print_figure("stack_write_path_bytes", write_stack);
  print_figure("stack_boot_path_bytes", boot_stack);
  print_figure("failures", uint32_t(failures));
  return failures == 0 ? 0 : 1;
}
