// bench_http_pull: the pull path (ESP8266httpUpdate) with a 1 MB image on loopback, plain and
// TLS. A server thread in this process answers every GET with the image; an in-process device
// (device::Device on RAM flash, the real Updater, its pull client with core/tls on BearSSL) pulls
// it, and in the same run curl downloads the same URL to a file: the unavoidable work. Also the
// device side's peak heap during one pull and the fixed buffers (session, TLS client and records).
#include <fmt/core.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "bench/heap_counter.h"
#include "bench/timed_run.h"
#include "core/pull/pull_session.h"
#include "core/tls/tls_client.h"
#include "device/device.h"
#include "host/image_builder.h"
#include "platform/posix/emulated_flash.h"
#include "platform/posix/trust_anchors.h"
#include "tests/core/tls_test_pki.h"
#include "tests/host/image_server.h"

namespace {

using namespace otakit;
using bench::median;
constexpr uint32_t kImageSize = 1000000;  // as close to 1 MiB as a swap can move (254 sectors)
constexpr int kRounds = 5;

// The device: RAM flash under device::Device, pulling on demand, never rebooting (the next round
// stages the image again).
class PullingDevice {
 public:
  PullingDevice(boost::asio::io_context& io, net::Clock& clock, const host::Bytes& running, net::PullClientOptions client)
      : io_(io),
        layout_(*find_layout("4M1M")),
        flash_(layout_.flash_size),
        device_(std::make_unique<device::Device>(device::DeviceParts{flash_, rtc_, layout_, {}, nullptr},
                                                 network(io, clock, std::move(client)))) {
    if (!device_->provision(running)) throw std::runtime_error("provision failed");
    on_io([this] { device_->boot(); });
  }
  // The device lives on the io thread: it goes away there, between two of its handlers.
  ~PullingDevice() {
    on_io([this] { device_.reset(); });
  }

  // One pull on the io thread; returns its outcome and wall time in ms.
  net::PullOutcome pull(double* ms) {
    done_ = std::promise<net::PullOutcome>();
    auto result = done_.get_future();
    const auto start = std::chrono::steady_clock::now();
    boost::asio::post(io_, [this] {
      if (!device_->pull_now()) throw std::runtime_error("pull did not start");
    });
    net::PullOutcome outcome = result.get();
    *ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!outcome.staged()) throw std::runtime_error("pull failed: " + outcome.message);
    return outcome;
  }

 private:
  device::NetworkAttachment network(boost::asio::io_context& io, net::Clock& clock, net::PullClientOptions client) {
    device::NetworkAttachment net;
    net.io = &io;
    net.clock = &clock;
    net.espota.reset();
    device::DevicePullOptions pull;
    pull.client = std::move(client);
    pull.at_boot = false;
    pull.reboot_on_update = false;
    net.pull = pull;
    // After Device::pull_finished has returned: the main thread may go on then.
    net.pull_done = [this](const net::PullOutcome& outcome) {
      boost::asio::post(io_, [this, outcome] { done_.set_value(outcome); });
    };
    return net;
  }

  template <class Work>
  void on_io(Work work) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      work();
      done.set_value();
    });
    done.get_future().get();
  }

  boost::asio::io_context& io_;
  const FlashLayout& layout_;
  posix::MemoryFlash flash_;
  VolatileRtcMemory rtc_;
  std::promise<net::PullOutcome> done_;
  std::unique_ptr<device::Device> device_;
};

// curl's own time for the transfer (-w %{time_total}, the last line of its log): without the
// process start, which the in-process device does not pay.
double curl_transfer_ms(const std::string& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return std::stod(last) * 1000;
}

struct Figures {
  std::vector<double> curl_ms, device_ms;
  int64_t peak_heap = 0;
};

Figures measure(boost::asio::io_context& io, net::Clock& clock, const host::Bytes& running, net::PullClientOptions client,
                const std::vector<std::string>& curl, const std::string& log) {
  Figures f;
  PullingDevice device(io, clock, running, std::move(client));
  for (int round = 0; round < kRounds; ++round) {
    bench::run_timed(curl, log);
    f.curl_ms.push_back(curl_transfer_ms(log));
    double ms = 0;
    const int64_t before = bench::reset_heap_peak();
    device.pull(&ms);
    f.peak_heap = std::max(f.peak_heap, bench::heap_peak() - before);
    f.device_ms.push_back(ms);
  }
  return f;
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("otakit-bench-pull-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string log = (dir / "curl.log").string();
  const std::string sink = (dir / "download.bin").string();
  host::ImageSpec running_spec;
  running_spec.total_size = 262144;
  running_spec.version = "1.0.0";
  const host::Bytes running = host::build_esp_image(running_spec);
  host::ImageSpec new_spec;
  new_spec.total_size = kImageSize;
  new_spec.version = "2.0.0";
  new_spec.seed = 7;
  const host::Bytes image = host::build_esp_image(new_spec);

  // The server's certificate (EC P-256, for localhost), trusted by the device as its one anchor
  // and by curl with --cacert.
  tls::testing::Identity server_id = tls::testing::make_identity({});
  const std::string cert_pem = tls::testing::pem(server_id.cert.get());
  const std::string cert_path = (dir / "server.pem").string();
  std::ofstream(cert_path) << cert_pem;
  posix::TrustAnchors anchors = posix::TrustAnchors::from_pem(cert_pem);
  SSL_CTX* tls_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(tls_ctx, server_id.cert.get());
  SSL_CTX_use_PrivateKey(tls_ctx, server_id.key.get());

  boost::asio::io_context io;
  net::SteadyClock clock;
  auto guard = boost::asio::make_work_guard(io);
  std::thread loop([&io] { io.run(); });

  const std::string reply = fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                        "Content-Length: {}\r\nConnection: close\r\n\r\n",
                                        image.size()) +
                            std::string(image.begin(), image.end());
  test::ImageServer plain(reply, nullptr);
  test::ImageServer secure(reply, tls_ctx);
  const std::string plain_url = fmt::format("http://127.0.0.1:{}/fw.bin", plain.port());
  const std::string tls_url = fmt::format("https://localhost:{}/fw.bin", secure.port());

  net::PullClientOptions plain_client;
  plain_client.url = plain_url;
  net::PullClientOptions tls_client = plain_client;
  tls_client.url = tls_url;
  tls_client.trust.anchors = anchors.data();
  tls_client.trust.anchor_count = anchors.size();
  net::PullClientOptions full_records = tls_client;
  full_records.tls_buffer_size = tls::kTlsBufferFull;

  const std::vector<std::string> curl = {"curl", "-sS", "-f", "-o", sink, "-w", "%{time_total}\n"};
  auto with = [](std::vector<std::string> args, std::vector<std::string> more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  Figures p = measure(io, clock, running, plain_client, with(curl, {plain_url}), log);
  Figures t = measure(io, clock, running, tls_client, with(curl, {"--cacert", cert_path, tls_url}), log);
  Figures full = measure(io, clock, running, full_records, with(curl, {"--cacert", cert_path, tls_url}), log);

  guard.reset();
  io.stop();
  loop.join();
  plain.stop();
  secure.stop();
  SSL_CTX_free(tls_ctx);

  const double mib = double(kImageSize) / (1 << 20);
  fmt::print("pull of a {}-byte image on loopback, median of {} rounds\n", kImageSize, kRounds);
  fmt::print("{:<52} {:>9} {:>9} {:>8}\n", "transfer", "ms", "MiB/s", "vs curl");
  auto row = [&](const char* what, double ms, double base) {
    fmt::print("{:<52} {:>9.1f} {:>9.1f} {:>7.2f}x\n", what, ms, mib / (ms / 1000), ms / base);
  };
  fmt::print("(curl's times are its own -w %{{time_total}}, without the process start)\n");
  row("http:  curl -> file (baseline)", median(p.curl_ms), median(p.curl_ms));
  row("http:  device pull (Updater, RAM flash)", median(p.device_ms), median(p.curl_ms));
  row("https: curl --cacert -> file (baseline)", median(t.curl_ms), median(t.curl_ms));
  row("https: device pull, 2 KiB records (MFLN)", median(t.device_ms), median(t.curl_ms));
  row("https: device pull, 16 KiB records", median(full.device_ms), median(t.curl_ms));
  fmt::print("\ndevice side memory for one pull\n");
  fmt::print("  peak heap during the pull (driver + device): http {} bytes, https (2 KiB) {} bytes, https (16 KiB) {} bytes\n",
             p.peak_heap, t.peak_heap, full.peak_heap);
  fmt::print("  pull::PullSession: {} bytes; tls::TlsClient: {} bytes\n", sizeof(pull::PullSession), sizeof(tls::TlsClient));
  fmt::print("  TLS records: {} bytes for 2 KiB (MFLN), {} bytes for 16 KiB; Updater write buffer: {} bytes\n",
             tls::kTlsBuffer2048, tls::kTlsBufferFull, Updater::kBufferSize);
  std::filesystem::remove_all(dir);
  return 0;
}
