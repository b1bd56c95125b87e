// Loopback helpers for espota tests: a responder on a real Updater (in-memory flash) served by
// its own io thread on a ManualClock that only the test moves, and raw blocking sockets with
// failsafe timeouts to play a misbehaving peer. Socket bytes take real time to arrive, so the
// helpers wait for them; time as the protocol sees it never passes unless a test advances it.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "host/image_report.h"
#include "net/espota_responder.h"
#include "net/manual_clock.h"
#include "tests/core/device_fixture.h"

namespace otakit::test {

// How long a helper waits for socket I/O before it gives up on a broken test.
constexpr int kFailsafeMs = 10000;

// A device: flash with a provisioned running image, its Updater, and an espota responder on
// 127.0.0.1 (a free port) served by an io thread. Hooks are counted; the responder's state and
// stats are copied after every handler, so the test thread can wait for them without polling.
class ResponderDevice {
 public:
  explicit ResponderDevice(net::EspotaResponderOptions options = {}, const char* layout = "1M", uint16_t udp_port = 0)
      : dev(layout), running(testing::make_image(150000, 1)), options_(options) {
    if (!dev.provision(running)) throw std::runtime_error("provision");
    dev.reboot();
    options_.bind_address = "127.0.0.1";
    options_.port = udp_port;
    responder = std::make_unique<net::EspotaResponder>(io, clock, options_, *dev.updater);
    net::EspotaHooks hooks;
    hooks.on_start = [this](espota::Command) { ++starts; };
    hooks.on_progress = [this](uint32_t, uint32_t) { ++progress_calls; };
    hooks.on_end = [this] { ++ends; };
    hooks.on_error = [this](espota::OtaError kind, const std::string& message) {
      std::lock_guard<std::mutex> lock(mutex);
      errors.emplace_back(kind, message);
      ++error_count;
    };
    hooks.reboot = [this] { ++reboots; };
    responder->set_hooks(hooks);
    responder->start();
    port = responder->local_port();
    thread = std::thread([this] { serve(); });
  }

  ~ResponderDevice() { stop(); }

  void stop() {
    if (!thread.joinable()) return;
    on_io([this] { responder->stop(); });
    guard.reset();
    io.stop();
    thread.join();
  }

  // Runs fn on the io thread, where the responder and its clock live, and returns its result.
  template <typename Fn>
  std::invoke_result_t<Fn> on_io(Fn fn) {
    std::packaged_task<std::invoke_result_t<Fn>()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }

  // Moves the device's clock; the timers that fall due have run when this returns.
  void advance(uint32_t ms) {
    on_io([this, ms] { clock.advance(ms); });
  }

  // The device holds a result for result_delay_ms: moves its clock past that when it holds one.
  // Uploads against this device need it, as its time does not move by itself.
  bool release_result() {
    return on_io([this] {
      if (responder->state() != espota::DeviceState::sending_result) return false;
      clock.advance(options_.result_delay_ms);
      return true;
    });
  }

  // Waits until condition() holds, re-checking after every handler of the io thread. The
  // condition runs with the device's mutex held: it may read the counters and seen_state/seen_stats.
  bool wait_for(const std::function<bool()>& condition) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::milliseconds(kFailsafeMs), condition);
  }
  bool wait_for_state(espota::DeviceState state) {
    return wait_for([&] { return seen_state == state; });
  }

  // The boot path after a reset: the staged image (if any) is swapped in. Stops the responder.
  bool runs_after_reboot(const std::vector<uint8_t>& image) {
    stop();
    dev.reboot();
    return dev.runs(image);
  }

  std::pair<espota::OtaError, std::string> last_error() {
    std::lock_guard<std::mutex> lock(mutex);
    return errors.empty() ? std::make_pair(espota::OtaError::auth, std::string()) : errors.back();
  }
  // Read on the io thread, where the responder lives: exact, unlike seen_state/seen_stats.
  espota::DeviceState state() {
    return on_io([this] { return responder->state(); });
  }
  net::EspotaResponderStats stats() {
    return on_io([this] { return responder->stats(); });
  }

  testing::Device dev;
  std::vector<uint8_t> running;
  boost::asio::io_context io;
  net::ManualClock clock;  // after io: see ManualClock
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<net::EspotaResponder> responder;
  uint16_t port = 0;
  std::atomic<int> starts{0}, progress_calls{0}, ends{0}, error_count{0}, reboots{0};
  std::mutex mutex;
  std::condition_variable changed;
  espota::DeviceState seen_state = espota::DeviceState::idle;  // as of the last handler
  net::EspotaResponderStats seen_stats;
  std::vector<std::pair<espota::OtaError, std::string>> errors;
  std::thread thread;

 private:
  void serve() {
    while (io.run_one()) {
      std::lock_guard<std::mutex> lock(mutex);
      seen_state = responder->state();
      seen_stats = responder->stats();
      changed.notify_all();
    }
  }

  net::EspotaResponderOptions options_;
};

// A UDP port that was free a moment ago (for a device that starts later).
inline uint16_t free_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local));
  socklen_t len = sizeof(local);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  ::close(fd);
  return ntohs(local.sin_port);
}

// Blocking POSIX sockets, to act as a hand-driven uploader.
class RawUdp {
 public:
  RawUdp() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
  }
  ~RawUdp() { ::close(fd_); }
  void send_to(uint16_t port, const std::string& text) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  // Empty string when nothing came within timeout_ms (0: only what is there already).
  std::string receive(int timeout_ms = kFailsafeMs) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return {};
    char buffer[1024];
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, size_t(n)) : std::string();
  }

 private:
  int fd_;
};

class RawListener {
 public:
  RawListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    ::listen(fd_, 4);
    socklen_t len = sizeof(local);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
    port_ = ntohs(local.sin_port);
  }
  ~RawListener() { ::close(fd_); }
  uint16_t port() const { return port_; }
  // A connected socket, or -1 when none came within timeout_ms (0: only one that is there already).
  int accept(int timeout_ms = kFailsafeMs) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return -1;
    return ::accept(fd_, nullptr, nullptr);
  }

 private:
  int fd_;
  uint16_t port_ = 0;
};

// What has arrived already, without waiting ("" when nothing has).
inline std::string read_now(int fd) {
  char buffer[4096];
  ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
  return n > 0 ? std::string(buffer, size_t(n)) : std::string();
}

// Waits for bytes and returns what one read gives; "" at EOF (then *eof is set) or failsafe.
inline std::string read_some(int fd, bool* eof = nullptr, int failsafe_ms = kFailsafeMs) {
  if (eof) *eof = false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, failsafe_ms) <= 0) return {};
  char buffer[4096];
  ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
  if (n <= 0) {
    if (eof) *eof = true;
    return {};
  }
  return std::string(buffer, size_t(n));
}

// Everything until the peer closes its side; *eof tells whether it did (else the failsafe ended it).
inline std::string read_to_eof(int fd, bool* eof = nullptr) {
  std::string out;
  bool closed = false;
  for (std::string more; !(more = read_some(fd, &closed)).empty();) out += more;
  if (eof) *eof = closed;
  return out;
}

inline void send_all(int fd, const uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return;
    data += n;
    len -= size_t(n);
  }
}

inline std::string md5_of(const std::vector<uint8_t>& bytes) { return host::md5_hex(bytes.data(), bytes.size()); }

inline std::string invitation(uint16_t port, size_t size, const std::string& md5, int command = 0) {
  return std::to_string(command) + " " + std::to_string(port) + " " + std::to_string(size) + " " + md5 + "\n";
}

}  // namespace otakit::test
