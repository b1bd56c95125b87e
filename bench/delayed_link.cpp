#include "bench/delayed_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <vector>


namespace otakit::bench {

using Clock = std::chrono::steady_clock;


namespace {

// A TUN device (IP packets, no extra header) in the calling thread's network namespace.
int open_tun(const std::string& name) {
  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

DelayedLink::DelayedLink(unsigned one_way_delay_ms) : delay_ms_(one_way_delay_ms) {
  int tag = int(getpid() % 200) + 20;
  ns_ = "otakit-bench-" + std::to_string(getpid());
  host_if_ = "otkb" + std::to_string(getpid() % 100000);
  peer_if_ = host_if_ + "p";
  host_ip_ = "10.251." + std::to_string(tag) + ".1";
  device_ip_ = "10.251." + std::to_string(tag) + ".2";
  if (run_quiet({"ip", "netns", "add", ns_}) != 0) {
    error_ = "cannot create a network namespace (needs root and iproute2)";
    return;
  }
  ok_ = try_netem() || try_tun_relay();
}

DelayedLink::~DelayedLink() {
  stop_ = true;
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (relay_thread_.joinable()) relay_thread_.join();
  for (int fd : {tun_host_, tun_peer_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
  run_quiet({"ip", "link", "del", host_if_});
  run_quiet({"ip", "netns", "del", ns_});
}

bool DelayedLink::run_steps(const std::vector<std::vector<std::string>>& steps) {
  for (const auto& step : steps) {
    if (run_quiet(step) == 0) continue;
    error_ = "failed: ";
    for (const auto& word : step) error_ += word + " ";
    return false;
  }
  return true;
}

bool DelayedLink::try_netem() {
  std::string delay = std::to_string(delay_ms_) + "ms";
  bool done = run_steps({
      {"ip", "link", "add", host_if_, "type", "veth", "peer", "name", peer_if_},
      {"ip", "link", "set", peer_if_, "netns", ns_},
      {"ip", "addr", "add", host_ip_ + "/24", "dev", host_if_},
      {"ip", "link", "set", host_if_, "up"},
      {"ip", "netns", "exec", ns_, "ip", "addr", "add", device_ip_ + "/24", "dev", peer_if_},
      {"ip", "netns", "exec", ns_, "ip", "link", "set", peer_if_, "up"},
      {"ip", "netns", "exec", ns_, "ip", "link", "set", "lo", "up"},
      {"tc", "qdisc", "add", "dev", host_if_, "root", "netem", "delay", delay},
      {"ip", "netns", "exec", ns_, "tc", "qdisc", "add", "dev", peer_if_, "root", "netem", "delay", delay},
  });
  if (done) {
    method_ = "veth + netem";
    return true;
  }
  run_quiet({"ip", "link", "del", host_if_});  // also removes the peer end in the namespace
  return false;
}

// netem is missing: one TUN device here, one in the namespace, and a thread that forwards each
// packet between them after the delay. TCP sees a real 10 ms path (slow start, ACK clocking).
bool DelayedLink::try_tun_relay() {
  std::string netem_error = error_;
  tun_host_ = open_tun(host_if_);
  std::thread opener([this] {  // setns() changes only this thread's namespace
    int ns_fd = ::open(("/var/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) == 0) tun_peer_ = open_tun(peer_if_);
    if (ns_fd >= 0) ::close(ns_fd);
  });
  opener.join();
  if (tun_host_ < 0 || tun_peer_ < 0 || ::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    error_ = netem_error + "; and no TUN devices either";
    return false;
  }
  bool done = run_steps({
      {"ip", "addr", "add", host_ip_, "peer", device_ip_, "dev", host_if_},
      {"ip", "link", "set", host_if_, "up"},
      {"ip", "netns", "exec", ns_, "ip", "addr", "add", device_ip_, "peer", host_ip_, "dev", peer_if_},
      {"ip", "netns", "exec", ns_, "ip", "link", "set", peer_if_, "up"},
      {"ip", "netns", "exec", ns_, "ip", "link", "set", "lo", "up"},
  });
  if (!done) return false;
  method_ = "TUN relay (no netem in this kernel)";
  relay_thread_ = std::thread([this] { relay(); });
  return true;
}

void DelayedLink::relay() {
  struct Packet {
    Clock::time_point due;
    std::vector<uint8_t> bytes;
  };
  std::deque<Packet> to_peer, to_host;
  const auto delay = std::chrono::milliseconds(delay_ms_);
  std::vector<uint8_t> buffer(65536);
  auto pump_in = [&](int from, std::deque<Packet>& queue) {
    for (;;) {
      ssize_t n = ::read(from, buffer.data(), buffer.size());
      if (n <= 0) return;
      queue.push_back({Clock::now() + delay, std::vector<uint8_t>(buffer.begin(), buffer.begin() + n)});
    }
  };
  auto pump_out = [&](int to, std::deque<Packet>& queue) {
    auto now = Clock::now();
    while (!queue.empty() && queue.front().due <= now) {
      (void)!::write(to, queue.front().bytes.data(), queue.front().bytes.size());
      queue.pop_front();
    }
  };
  while (!stop_) {
    auto next = Clock::now() + std::chrono::milliseconds(100);
    if (!to_peer.empty()) next = std::min(next, to_peer.front().due);
    if (!to_host.empty()) next = std::min(next, to_host.front().due);
    auto wait = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(next - Clock::now()).count());
    timespec timeout{static_cast<time_t>(wait / 1000000000), static_cast<long>(wait % 1000000000)};
    pollfd fds[3] = {{tun_host_, POLLIN, 0}, {tun_peer_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    ::ppoll(fds, 3, &timeout, nullptr);
    pump_in(tun_host_, to_peer);
    pump_in(tun_peer_, to_host);
    pump_out(tun_peer_, to_peer);
    pump_out(tun_host_, to_host);
  }
}

double DelayedLink::measured_rtt_ms() const {
  std::vector<double> samples;
  for (int i = 0; i < 5; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);  // nothing listens: the reset comes back after one round trip
    inet_pton(AF_INET, device_ip_.c_str(), &to.sin_addr);
    auto start = Clock::now();
    ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    ::close(fd);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace otakit::bench
