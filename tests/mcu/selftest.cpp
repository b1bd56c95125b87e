// The device core on the target's own instruction set, under QEMU (lx106 and Cortex-M3), with no
// C++ standard library: a signed image arrives through the espota device session replaying the
// recorded espota.py session, the Updater checks its signature with BearSSL and stages it, the
// boot path swaps it in across a power cut and resumes, and the result is compared byte for byte.
// A tampered image must be refused. The same image then comes again as a browser's multipart
// POST to the web update server, and again as ESP8266httpUpdate's pull from a server's 200,
// and boots each time. It prints figures (stack, instructions) as name=value lines
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
#include "core/pull/pull_session.h"
#include "core/updater/update_sink.h"
#include "core/updater/updater.h"
#include "core/webupdate/web_update_server.h"
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
Slot<webupdate::WebUpdateServer> web;
Slot<pull::PullSession> pull_session;
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
  char digits[kDecimalDigits];
  const size_t n = format_decimal(value, digits);
  return len == n && memcmp(data, digits, len) == 0;
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

// ---- the browser's upload: a multipart POST to /update ----------------------------------------

class SelfTestStatus final : public webupdate::StatusSource {
 public:
  webupdate::DeviceStatus device_status() override {
    webupdate::DeviceStatus s;
    s.hostname = "selftest";
    s.free_space = 0x80000;
    return s;
  }
};
SelfTestStatus web_status;

constexpr char kBoundary[] = "----otakitSelfTest7MA4YWxk";
char message_head[512];

struct WebReplay {
  bool finished = false;
  bool success = false;
  bool answered_200 = false;
  bool answered_success = false;  // the reply carries the original's "Update Success!" page
  bool reboot = false;
  bool stuck = false;
};

bool contains(const uint8_t* data, size_t len, const char* text) {
  const size_t n = strlen(text);
  for (size_t at = 0; at + n <= len; ++at)
    if (memcmp(data + at, text, n) == 0) return true;
  return false;
}

void drain_web(WebReplay& r) {
  webupdate::ServerEvent e;
  while (web.get().poll(&e)) {
    if (e.action == webupdate::ServerAction::send) {
      if (e.len >= 12 && memcmp(e.data, "HTTP/1.1 200", 12) == 0) r.answered_200 = true;
      if (contains(e.data, e.len, "Update Success!")) r.answered_success = true;
    }
    if (e.action == webupdate::ServerAction::finished) {
      r.finished = true;
      r.success = e.success;
      if (!e.success && e.text) print(e.text), print("\n");
    }
    if (e.action == webupdate::ServerAction::reboot) r.reboot = true;
  }
}

// Feeds bytes as the socket would, draining events after each call, until all are used.
void feed_web(WebReplay& r, uint8_t connection, const uint8_t* data, size_t len, uint32_t* now) {
  while (len > 0 && !r.stuck) {
    const size_t used = web.get().on_data(connection, data, len, ++*now);
    drain_web(r);
    if (used == 0) r.stuck = true;
    data += used;
    len -= used;
  }
}

size_t append(char* out, size_t at, const char* text) {
  const size_t n = strlen(text);
  memcpy(out + at, text, n);
  return at + n;
}

size_t append_decimal(char* out, size_t at, uint32_t value) { return at + format_decimal(value, out + at); }

void replay_browser_upload(void* ctx) {
  WebReplay& r = *static_cast<WebReplay*>(ctx);
  uint32_t now = 5000;
  // The part's own head and its closing delimiter, in the form a browser sends.
  char part[160];
  size_t part_len = append(part, 0, "--");
  part_len = append(part, part_len, kBoundary);
  part_len = append(part, part_len, "\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"fw.bin\"\r\n"
                                    "Content-Type: application/octet-stream\r\n\r\n");
  char tail[64];
  size_t tail_len = append(tail, 0, "\r\n--");
  tail_len = append(tail, tail_len, kBoundary);
  tail_len = append(tail, tail_len, "--\r\n");
  size_t head_len = append(message_head, 0, "POST /update HTTP/1.1\r\nHost: selftest.local\r\n"
                                        "Content-Type: multipart/form-data; boundary=");
  head_len = append(message_head, head_len, kBoundary);
  head_len = append(message_head, head_len, "\r\nContent-Length: ");
  head_len = append_decimal(message_head, head_len, uint32_t(part_len + d::kSignedImageSize + tail_len));
  head_len = append(message_head, head_len, "\r\n\r\n");

  const uint8_t connection = web.get().on_accept(now);
  if (connection == webupdate::WebUpdateServer::kNoSlot) {
    r.stuck = true;
    return;
  }
  feed_web(r, connection, reinterpret_cast<const uint8_t*>(message_head), head_len, &now);
  feed_web(r, connection, reinterpret_cast<const uint8_t*>(part), part_len, &now);
  for (uint32_t at = 0; at < d::kSignedImageSize && !r.stuck; at += d::kChunkSize) {
    const uint32_t n = d::kSignedImageSize - at < d::kChunkSize ? d::kSignedImageSize - at : d::kChunkSize;
    feed_web(r, connection, d::kSignedImage + at, n, &now);
  }
  feed_web(r, connection, reinterpret_cast<const uint8_t*>(tail), tail_len, &now);
}

// ---- the pull: ESP8266httpUpdate's check, answered with the image ------------------------------

struct PullReplay {
  bool connected = false;    // to the URL's host and port
  bool request_ok = false;   // a GET of the path with the x-ESP8266 headers
  bool finished = false;
  pull::PullResult result = pull::PullResult::failed;
};

void drain_pull(PullReplay& r) {
  pull::PullEvent e;
  while (pull_session.get().poll(&e)) {
    if (e.action == pull::PullAction::connect)
      r.connected = e.host != nullptr && strcmp(e.host, "updates.local") == 0 && e.port == 8070 && !e.secure;
    if (e.action == pull::PullAction::send)
      r.request_ok = e.len > 22 && memcmp(e.data, "GET /update HTTP/1.0\r\n", 22) == 0 &&
                     contains(e.data, e.len, "User-Agent: ESP8266-http-Update\r\n") &&
                     contains(e.data, e.len, "x-ESP8266-mode: sketch\r\n");
    if (e.action == pull::PullAction::finished) {
      r.finished = true;
      r.result = e.result;
      if (e.result != pull::PullResult::ok && e.message) print(e.message), print("\n");
    }
  }
}

void replay_pull(void* ctx) {
  PullReplay& r = *static_cast<PullReplay*>(ctx);
  pull::PullSession& s = pull_session.get();
  uint32_t now = 9000;
  if (!s.start(now)) return;
  drain_pull(r);
  if (!r.connected) return;
  s.on_connected(++now);
  drain_pull(r);
  if (!r.request_ok) return;
  size_t head_len = append(message_head, 0, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ");
  head_len = append_decimal(message_head, head_len, d::kSignedImageSize);
  head_len = append(message_head, head_len, "\r\n\r\n");
  s.on_data(reinterpret_cast<const uint8_t*>(message_head), head_len, ++now);
  drain_pull(r);
  for (uint32_t at = 0; at < d::kSignedImageSize && !r.finished; at += d::kChunkSize) {
    const uint32_t n = d::kSignedImageSize - at < d::kChunkSize ? d::kSignedImageSize - at : d::kChunkSize;
    s.on_data(d::kSignedImage + at, n, ++now);
    drain_pull(r);
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

void upload_through_the_browser_page(uint32_t* web_stack) {
  start_application();
  webupdate::ServerConfig config;
  web.make(config, sink.get(), web_status);
  WebReplay replay;
  *web_stack = measure_stack(replay_browser_upload, &replay);
  check(!replay.stuck && replay.finished && replay.success, "a browser's multipart POST stages the signed image");
  check(replay.answered_200 && replay.answered_success && replay.reboot, "the page answers 200 \"Update Success!\" and asks for the reboot");
  uint32_t boot_stack = 0;
  const BootReport booted = boot_and_measure(&boot_stack);
  check(booted.action == BootAction::upgraded && primary_holds(d::kSignedImage, d::kSignedPayloadSize),
        "the uploaded image boots, byte for byte");
  start_application();
  check(app_boot.get().confirm(), "and is confirmed");
}

void pull_from_a_server(uint32_t* pull_stack) {
  start_application();
  pull::PullConfig config;
  config.url = "http://updates.local:8070/update";
  config.device.chip_id = 0x00C0FFEE;
  config.device.free_space = 0x80000;
  config.device.sketch_size = d::kSignedPayloadSize;
  config.device.sketch_md5 = "0123456789abcdef0123456789abcdef";
  config.device.chip_size = layout.flash_size;
  config.device.sdk_version = "otakit-selftest";
  pull_session.make(config, sink.get());
  PullReplay replay;
  *pull_stack = measure_stack(replay_pull, &replay);
  check(replay.connected && replay.request_ok, "the pull asks as ESP8266httpUpdate does (GET over HTTP/1.0, x-ESP8266 headers)");
  check(replay.finished && replay.result == pull::PullResult::ok, "the server's 200 stages the signed image (HTTP_UPDATE_OK)");
  uint32_t boot_stack = 0;
  const BootReport booted = boot_and_measure(&boot_stack);
  check(booted.action == BootAction::upgraded && primary_holds(d::kSignedImage, d::kSignedPayloadSize),
        "the pulled image boots, byte for byte");
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

  uint32_t write_stack = 0, boot_stack = 0, web_stack = 0, pull_stack = 0;
  provision_factory_image();
  upload_over_espota(&write_stack);
  swap_across_power_cut(&boot_stack);
  refuse_tampered_image();
  upload_through_the_browser_page(&web_stack);
  pull_from_a_server(&pull_stack);
  calibrate_counter();
  bench_verify();
  print_figure("stack_write_path_bytes", write_stack);
  print_figure("stack_boot_path_bytes", boot_stack);
  print_figure("stack_web_upload_bytes", web_stack);
  print_figure("stack_pull_bytes", pull_stack);
  print_figure("failures", uint32_t(failures));
  return failures == 0 ? 0 : 1;
}
