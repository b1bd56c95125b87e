#include "sim/fleet.h"

#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <stdexcept>

#include "core/boot/loader.h"
#include "core/http/url.h"

namespace otakit::sim {

namespace asio = boost::asio;

double resident_kib() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / 1024.0;
}

namespace {

// The URL the devices use: the server's own, or the fault link's in front of it.
std::string link_url(const http::Url& server, uint16_t link_port) {
  return "http://127.0.0.1:" + std::to_string(link_port) + server.path;
}

asio::ip::tcp::endpoint resolve(asio::io_context& io, const http::Url& url) {
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto found = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec || found.empty())
    throw std::invalid_argument(std::string("cannot resolve ") + url.host + ": " + ec.message());
  return *found.begin();
}

}  // namespace

Fleet::Fleet(FleetConfig config) : config_(std::move(config)) {
  layout_ = find_layout(config_.layout.c_str());
  if (layout_ == nullptr) throw std::invalid_argument("unknown flash layout '" + config_.layout + "'");
  if (config_.devices < 1) throw std::invalid_argument("a fleet needs at least one device");
  http::Url url;
  if (http::parse_url(config_.update_url.c_str(), &url) != http::UrlError::ok)
    throw std::invalid_argument("the update URL '" + config_.update_url + "' is not an http:// or https:// URL");
  rss_before_kib_ = resident_kib();

  factory_ = std::make_unique<posix::SharedFlash>(pool_, layout_->flash_size);
  VolatileRtcMemory rtc;
  if (!BootLoader(*factory_, *layout_, rtc).provision(config_.factory.data(), uint32_t(config_.factory.size())))
    throw std::invalid_argument("the factory image is not one the " + config_.layout + " layout accepts");

  unsigned threads = config_.threads != 0 ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, unsigned(config_.devices));
  for (unsigned t = 0; t < threads; ++t) loops_.push_back(std::make_unique<Loop>());

  std::string device_url = config_.update_url;
  if (config_.faults.on_the_link()) {
    if (url.secure)
      throw std::invalid_argument("link faults need an http:// update URL (the link relays bytes, TLS names the host)");
    LinkFaults faults;
    faults.rates = config_.faults;
    faults.answer_bytes = uint32_t(config_.factory.size());
    faults.stall_ms = config_.http_timeout_ms + 1000;
    link_ = std::make_unique<FaultLink>(loops_[0]->io, clock_, resolve(loops_[0]->io, url), faults,
                                        mix64(config_.seed ^ 0x11A4), counters_);
    device_url = link_url(url, link_->port());
  }
  // Erases and writes of the download, the swap's three copies per sector, and the journal.
  const uint32_t sectors = uint32_t((config_.factory.size() + kSectorSize - 1) / kSectorSize);
  for (auto& loop : loops_) {
    loop->context.reset(new FleetContext{loop->io, clock_, config_, *layout_, pool_, *factory_, counters_, device_url,
                                         8 * sectors + 16});
  }
  devices_.reserve(size_t(config_.devices));
  for (int i = 0; i < config_.devices; ++i)
    devices_.push_back(std::make_unique<SimulatedDevice>(*loops_[size_t(i) % threads]->context, i));
}

Fleet::~Fleet() {
  stop();
  devices_.clear();  // before the loops whose io_contexts their sockets use
  link_.reset();
}

void Fleet::start() {
  started_ = std::chrono::steady_clock::now();
  for (size_t i = 0; i < devices_.size(); ++i)
    asio::post(loops_[i % loops_.size()]->io, [d = devices_[i].get()] { d->start(); });
  for (auto& loop : loops_) {
    loop->thread = std::thread([io = &loop->io] {
      auto work = asio::make_work_guard(*io);
      io->run();
    });
  }
  running_ = true;
}

void Fleet::stop() {
  if (!running_) return;
  for (auto& loop : loops_) loop->io.stop();
  for (auto& loop : loops_) loop->thread.join();
  running_ = false;
}

FleetSnapshot Fleet::snapshot() const {
  FleetSnapshot s;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  s.devices = int(devices_.size());
  for (const auto& d : devices_) {
    ++s.per_state[int(d->state())];
    const LastAnswer last = d->last_answer();
    s.up_to_date += last == LastAnswer::up_to_date && d->state() == DeviceState::idle;
    s.kept_image += last == LastAnswer::kept_image && d->state() == DeviceState::idle;
    s.no_target += last == LastAnswer::no_target;
  }
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  s.checks = get(counters_.checks);
  s.downloads = get(counters_.downloads);
  s.staged = get(counters_.staged);
  s.resumes = get(counters_.resumes);
  s.updates = get(counters_.updates);
  s.rollbacks = get(counters_.rollbacks);
  s.power_cuts = get(counters_.power_cuts);
  s.health_failures = get(counters_.health_failures);
  s.dropped = get(counters_.dropped);
  s.stalled = get(counters_.stalled);
  s.slowed = get(counters_.slowed);
  for (int i = 0; i < kFailureCauses; ++i) s.failures[i] = get(counters_.failures[i]);
  s.pool_bytes = pool_.stats().bytes();
  s.rss_per_device_kib = (resident_kib() - rss_before_kib_) / double(devices_.size());
  return s;
}

bool Fleet::all_settled() const {
  for (const auto& d : devices_) {
    const LastAnswer last = d->last_answer();
    if (d->state() != DeviceState::idle || (last != LastAnswer::up_to_date && last != LastAnswer::kept_image))
      return false;
  }
  return true;
}

std::vector<DeviceRecord> Fleet::records() const {
  std::vector<DeviceRecord> out;
  out.reserve(devices_.size());
  for (const auto& d : devices_) out.push_back(d->record());
  return out;
}

}  // namespace otakit::sim
