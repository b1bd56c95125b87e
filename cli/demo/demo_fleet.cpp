#include "cli/demo/demo_fleet.h"

#include <fmt/format.h>

#include <stdexcept>

#include "core/flash/layout.h"

namespace otakit::cli::demo {
namespace {

constexpr uint32_t kChipIdBase = 0xD30000;  // dev-N has chip id D3000N, so MAC 5C:CF:7F:D3:00:0N
constexpr uint32_t kCheckIntervalMs = 1000;

const FlashLayout& demo_layout() { return *find_layout("1M"); }

// dev-1 push, dev-2 browser, then field-a, then field-b (the smaller half of the rest).
void assign_role(DeviceStory& s, int count) {
  const int failing = (count - 2) / 2;
  if (s.number == 1) {
    s.path = UpdatePath::push;
  } else if (s.number == 2) {
    s.path = UpdatePath::browser;
  } else {
    s.path = UpdatePath::pull;
    s.fails_new_image = s.number > count - failing;
    s.group = s.fails_new_image ? kFailingGroup : kHealthyGroup;
  }
}

// The STA MAC a Device reports for its chip id (device.h: Espressif's OUI, then the id's 24 bits),
// known before the first boot.
std::string mac_of_chip(uint32_t chip_id) {
  return fmt::format("5C:CF:7F:{:02X}:{:02X}:{:02X}", (chip_id >> 16) & 0xFF, (chip_id >> 8) & 0xFF, chip_id & 0xFF);
}

}  // namespace

DemoFleet::DemoFleet(boost::asio::io_context& io, net::Clock& clock, const FirmwareKit& kit, int devices,
                     const std::string& update_url, const std::string& log_path, LiveView& view)
    : io_(io), clock_(clock), kit_(kit), view_(view), log_path_(log_path) {
  log_file_ = std::fopen(log_path.c_str(), "w");
  if (log_file_ == nullptr) throw std::runtime_error("cannot write " + log_path);
  log_sink_ = std::make_unique<net::LineSink>(log_file_);
  const std::string& pem = kit.public_key_pem;
  if (key_.load(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()) != crypto::KeyError::ok)
    throw std::runtime_error("the demo's public key cannot be read by the devices' verifier");
  verifier_ = std::make_unique<crypto::RsaSha256Verifier>(key_, crypto::RsaPadding::pkcs1_sha256);
  for (int n = 1; n <= devices; ++n) members_.push_back(make_member(n, devices, update_url));
}

// Devices go first: their sockets close while the log they write to is still open.
DemoFleet::~DemoFleet() {
  members_.clear();
  if (log_file_ != nullptr) std::fclose(log_file_);
}

std::unique_ptr<DemoFleet::Member> DemoFleet::make_member(int number, int count, const std::string& update_url) {
  auto m = std::make_unique<Member>(demo_layout().flash_size);
  DeviceStory& s = m->story;
  s.number = number;
  s.name = fmt::format("dev-{}", number);
  s.address = fmt::format("127.0.1.{}", number);
  assign_role(s, count);
  const net::Logger log(log_sink_.get(), s.name);

  device::NetworkAttachment net;
  net.io = &io_;
  net.clock = &clock_;
  if (s.path == UpdatePath::push) {
    net.espota->bind_address = s.address;
    net.espota->port = 0;  // any free port: several demos (or tests) may run at once
    net.espota->password = kPushPassword;
    net.espota->linger_ms = 200;  // the uploader is on loopback and closes at once
    net.espota->log = log;
  } else {
    net.espota.reset();
  }
  if (s.path == UpdatePath::browser) {
    net::HttpUpdateServerOptions page;
    page.bind_address = s.address;
    page.port = 0;
    page.linger_ms = 200;
    page.log = log;
    net.web = page;
  }
  device::DevicePullOptions pull;
  pull.client.url = update_url;
  pull.client.log = log;
  pull.interval_ms = kCheckIntervalMs;
  net.pull = pull;
  add_protocol_hooks(*m, net);
  const uint32_t chip_id = kChipIdBase + uint32_t(number);
  s.mac = mac_of_chip(chip_id);
  m->device = std::make_unique<device::Device>(
      device::DeviceParts{m->flash, m->rtc, demo_layout(), {}, verifier_.get(), chip_id}, std::move(net));
  if (!m->device->provision(kit_.factory))
    throw std::runtime_error(s.name + " refused the factory image (the demo's images are built wrong)");
  watch_boots(*m);
  return m;
}

void DemoFleet::boot_all() {
  for (auto& m : members_)
    if (!m->device->boot().bootable) throw std::runtime_error(m->story.name + " did not boot its factory image");
}

std::vector<const DeviceStory*> DemoFleet::stories() const {
  std::vector<const DeviceStory*> out;
  for (const auto& m : members_) out.push_back(&m->story);
  return out;
}

std::vector<DeviceStory*> DemoFleet::in_group(const std::string& group) {
  std::vector<DeviceStory*> out;
  for (auto& m : members_)
    if (m->story.group == group) out.push_back(&m->story);
  return out;
}

}  // namespace otakit::cli::demo
