// A network namespace joined to this one by a link with 5 ms of delay each way (10 ms RTT), for
// benchmarks. Made with veth + `tc qdisc ... netem delay 5ms` on each end; on kernels without
// netem (e.g. minimal VM kernels) the same delay comes from a packet relay between two TUN
// devices, one per namespace, that holds every IP packet 5 ms. The destructor removes it all.
#pragma once
#include "bench/run_quiet.h"
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace otakit::bench {

class DelayedLink {
 public:
  explicit DelayedLink(unsigned one_way_delay_ms = 5);
  ~DelayedLink();
  DelayedLink(const DelayedLink&) = delete;
  DelayedLink& operator=(const DelayedLink&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& method() const { return method_; }  // "veth + netem" or "TUN relay"
  const std::string& ns() const { return ns_; }
  const std::string& host_ip() const { return host_ip_; }
  const std::string& device_ip() const { return device_ip_; }
  // Median time of a TCP connect to a closed port on the far side (one round trip).
  double measured_rtt_ms() const;

 private:
  bool try_netem();
  bool try_tun_relay();
  bool run_steps(const std::vector<std::vector<std::string>>& steps);
  void relay();

  unsigned delay_ms_;
  std::string ns_, host_if_, peer_if_, host_ip_, device_ip_, method_, error_;
  bool ok_ = false;
  int tun_host_ = -1;
  int tun_peer_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::thread relay_thread_;
};

}  // namespace otakit::bench
