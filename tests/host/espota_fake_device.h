// A scripted espota device on a thread, for uploader tests: it accepts one invitation, connects
// back and acks the way a given device would (one count per 1460-byte chunk like ArduinoOTA,
// or several counts joined in one segment), then sends a chosen result or misbehaves. It keeps
// no time: it acts on what arrives, and on the test.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/espota/invitation.h"
#include "tests/host/espota_test_support.h"

namespace otakit::test {

struct FakeDeviceScript {
  bool joined_acks = false;        // ack several reads in one send ("146014601460")
  std::string result = "OK";       // sent in a segment after the last ack's (or with it, see below)
  bool result_with_last_ack = false;
  bool close_without_result = false;
  uint32_t stall_after = 0;        // stop reading after this many bytes (0: never)
  bool ok_early = false;           // says OK after the first read
  uint32_t reset_after = 0;        // after this many bytes, on fail_now(): the result, then a reset
};

class FakeDevice {
 public:
  explicit FakeDevice(FakeDeviceScript script) : script_(std::move(script)), fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    socklen_t len = sizeof(local);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
    port_ = ntohs(local.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeDevice() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      changed_.notify_all();
    }
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  uint32_t received() const { return received_; }
  // Largest count of bytes that had arrived but were not acked yet, seen after each ack.
  uint32_t max_unacked() const { return max_unacked_; }

  // stall_after: true once it sent its last ack and stopped reading.
  bool stalled() const { return stalled_; }
  // reset_after: true once the bytes are in and the device waits for fail_now().
  bool ready_to_fail() const { return ready_to_fail_; }
  // Sends the acks and the result and resets the connection (RST); returns when that is done.
  void fail_now() {
    std::unique_lock<std::mutex> lock(mutex_);
    go_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return failed_; });
  }

 private:
  void run() {
    char buffer[512];
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, kFailsafeMs) <= 0) return;
    ssize_t n = ::recvfrom(fd_, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    espota::Invitation invitation;
    if (n <= 0 || espota::parse_invitation(reinterpret_cast<uint8_t*>(buffer), size_t(n), &invitation) != espota::InvitationError::ok)
      return;
    ::sendto(fd_, "OK", 2, 0, reinterpret_cast<sockaddr*>(&from), from_len);
    int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;  // as ArduinoOTA's setNoDelay(true): each send leaves as its own segment
    ::setsockopt(tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (script_.reset_after) {  // a small window keeps the uploader's writes waiting on us
      int small = 4096;
      ::setsockopt(tcp, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    }
    sockaddr_in host = from;
    host.sin_port = htons(invitation.port);
    if (::connect(tcp, reinterpret_cast<sockaddr*>(&host), sizeof(host)) != 0) return (void)::close(tcp);
    if (!transfer(tcp, invitation.size)) ::close(tcp);
  }

  // Returns true when it closed the connection itself.
  bool transfer(int tcp, uint32_t size) {
    std::string pending_acks;
    uint32_t acked = 0;
    int reads = 0;
    char chunk[65536];
    while (received_ < size && !stop_) {
      if (script_.reset_after && received_ >= script_.reset_after) return reset(tcp, pending_acks);
      if (script_.stall_after && received_ >= script_.stall_after) {
        stalled_ = true;
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return stop_.load(); });  // the connection stays open until the end
        return false;
      }
      // ArduinoOTA takes what is there; "per chunk" mimics espota.py's peer: one 1460 piece per ack.
      size_t want = script_.joined_acks ? sizeof(chunk) : std::min<size_t>(1460, size - received_);
      pollfd p{tcp, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;  // and look at stop_ again
      ssize_t n = ::recv(tcp, chunk, want, script_.joined_acks ? 0 : MSG_WAITALL);
      if (n <= 0) return false;
      received_ += uint32_t(n);
      // Give a sender that does not wait for acks 3 ms to show it (stop-and-wait check): this can
      // only miss a pacing fault on a slow machine, never make a correct uploader fail.
      if (!script_.joined_acks) {
        pollfd more{tcp, POLLIN, 0};
        if (::poll(&more, 1, 3) > 0) {
          ssize_t extra = ::recv(tcp, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_PEEK);
          if (extra > 0 && received_ + uint32_t(extra) - acked > max_unacked_)
            max_unacked_ = received_ + uint32_t(extra) - acked;
        }
      }
      if (received_ - acked > max_unacked_) max_unacked_ = received_ - acked;
      pending_acks += std::to_string(n);
      acked = received_;
      if (script_.ok_early) {
        send_text(tcp, pending_acks + "OK");
        return false;
      }
      bool last = received_ >= size;
      if (!script_.joined_acks || ++reads % 3 == 0 || last) {
        if (last && script_.result_with_last_ack) pending_acks += script_.result;
        send_text(tcp, pending_acks);
        pending_acks.clear();
      }
    }
    if (script_.close_without_result || script_.result_with_last_ack) return false;
    send_text(tcp, script_.result);
    read_to_eof(tcp);  // until the uploader closes
    return false;
  }

  // The device's last words and an abortive close, while the uploader is paused by the test.
  bool reset(int tcp, const std::string& acks) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_to_fail_ = true;
    changed_.wait(lock, [this] { return go_ || stop_; });
    send_text(tcp, acks + script_.result);  // out at once (TCP_NODELAY): an abortive close drops unsent bytes
    linger abort_on_close{1, 0};
    ::setsockopt(tcp, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
    ::close(tcp);
    failed_ = true;
    changed_.notify_all();
    return true;
  }

  static void send_text(int fd, const std::string& text) {
    send_all(fd, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }

  FakeDeviceScript script_;
  int fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> received_{0};
  std::atomic<uint32_t> max_unacked_{0};
  std::atomic<bool> stalled_{false};
  std::atomic<bool> ready_to_fail_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool go_ = false;
  bool failed_ = false;
  std::thread thread_;
};

}  // namespace otakit::test
