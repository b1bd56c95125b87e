// bench_http_update: the browser-upload path with a 1 MB image on loopback. An in-process device
// (device::Device on 4 MiB of RAM flash, the real Updater) serves its upload page over http and
// https (TlsServer, an EC P-256 and an RSA-2048 certificate); curl -F and `otakit upload --url`
// post the image to it, and in the same run curl posts the same form to a plain sink in this
// process that only writes the body to a file: the unavoidable work. A GET of `?status` on each
// scheme shows a connection's fixed cost (over https: the handshake). Also the device side's peak
// heap during one upload (every allocation of this process is counted while the transfer runs:
// the driver's, the device's), the fixed buffers of the codec and a TLS connection's RAM.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/heap_counter.h"
#include "bench/timed_run.h"
#include "core/webupdate/web_update_server.h"
#include "core/tls/tls_server.h"
#include "device/device.h"
#include "host/image_builder.h"
#include "net/log_sinks.h"
#include "platform/posix/emulated_flash.h"
#include "platform/posix/server_identity.h"

namespace {

using namespace otakit;
using bench::median;
using bench::run_timed;
// As close to 1 MiB as a device takes: a swap moves at most 254 sectors (core/boot/sector_table.h).
constexpr uint32_t kImageSize = 1000000;
constexpr int kRounds = 5;

// The device: RAM flash under device::Device, its upload page on 127.0.0.1, never rebooting (the
// next round replaces the staged image).
class MemoryDevice {
 public:
  // identity: the HTTPS page's certificate and key beside the plain page.
  MemoryDevice(boost::asio::io_context& io, net::Clock& clock, const host::Bytes& running,
               std::shared_ptr<const tls::TlsServerIdentity> identity)
      : layout_(*find_layout("4M1M")), flash_(layout_.flash_size),
        device_({flash_, rtc_, layout_, {}, nullptr}, network(io, clock, std::move(identity))) {
    if (!device_.provision(running)) throw std::runtime_error("provision failed");
    device_.boot();
  }
  uint16_t port() { return device_.web()->local_port(); }
  uint16_t https_port() { return device_.web_https()->local_port(); }

 private:
  static device::NetworkAttachment network(boost::asio::io_context& io, net::Clock& clock,
                                           std::shared_ptr<const tls::TlsServerIdentity> identity) {
    device::NetworkAttachment net;
    net.io = &io;
    net.clock = &clock;
    net.espota.reset();
    net::HttpUpdateServerOptions web;
    web.bind_address = "127.0.0.1";
    web.port = 0;
    web.reboot_on_success = false;
    net.web = web;
    net.web_https = web;
    net.web_https->https = net::HttpsOptions{};
    net.web_https->https->identity = std::move(identity);
    return net;
  }

  const FlashLayout& layout_;
  posix::MemoryFlash flash_;
  VolatileRtcMemory rtc_;
  device::Device device_;
};

// The baseline: reads a request's head and Content-Length body and writes the body to a file.
class FileSink {
 public:
  FileSink(boost::asio::io_context& io, std::string path)
      : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), path_(std::move(path)) {
    accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, boost::asio::ip::tcp::socket socket) {
      if (error) return;
      serve(std::move(socket));
      accept();
    });
  }
  // Blocking on the io thread is fine: one client at a time, and nothing else runs meanwhile.
  void serve(boost::asio::ip::tcp::socket socket) {
    std::string data;
    std::vector<char> buffer(65536);
    boost::system::error_code ec;
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
      size_t n = socket.read_some(boost::asio::buffer(buffer), ec);
      if (ec) return;
      data.append(buffer.data(), n);
      head_end = data.find("\r\n\r\n");
    }
    const size_t at = data.find("Content-Length: ");
    const size_t length = std::stoul(data.substr(at + 16));
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    size_t body = data.size() - head_end - 4;
    out.write(data.data() + head_end + 4, std::streamsize(body));
    while (body < length) {
      size_t n = socket.read_some(boost::asio::buffer(buffer), ec);
      if (ec) return;
      out.write(buffer.data(), std::streamsize(n));
      body += n;
    }
    out.close();
    const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    boost::asio::write(socket, boost::asio::buffer(reply), ec);
  }

  boost::asio::ip::tcp::acceptor acceptor_;
  std::string path_;
};

// A certificate and key made as the docs say (with 127.0.0.1 in it, so that curl needs no name
// lookup), loaded as `otakit device --https-cert/--https-key` loads them.
std::shared_ptr<const tls::TlsServerIdentity> make_identity(const std::filesystem::path& dir, const std::string& name,
                                                            const std::string& key_spec, const std::string& log) {
  const std::string cert = (dir / (name + "-cert.pem")).string();
  const std::string key = (dir / (name + "-key.pem")).string();
  std::vector<std::string> args = {"openssl", "req", "-x509", "-newkey", key_spec};
  if (key_spec == "ec") args.insert(args.end(), {"-pkeyopt", "ec_paramgen_curve:P-256"});
  args.insert(args.end(), {"-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=localhost",
                           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  run_timed(args, log);
  auto identity = std::make_shared<posix::ServerIdentity>(posix::ServerIdentity::load_pem_files(cert, key));
  return std::shared_ptr<const tls::TlsServerIdentity>(identity, &identity->identity());
}

}  // namespace

int main() {
  const std::string otakit = OTAKIT_BINARY_PATH;
  const auto dir = std::filesystem::temp_directory_path() / ("otakit-bench-http-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  host::ImageSpec running_spec;
  running_spec.total_size = 262144;
  running_spec.version = "1.0.0";
  host::ImageSpec new_spec;
  new_spec.total_size = kImageSize;
  new_spec.version = "2.0.0";
  new_spec.seed = 7;
  const host::Bytes image = host::build_esp_image(new_spec);
  const std::string image_path = (dir / "fw.bin").string();
  std::ofstream(image_path, std::ios::binary).write(reinterpret_cast<const char*>(image.data()), std::streamsize(image.size()));

  const std::string log = (dir / "client.log").string();
  boost::asio::io_context io;
  net::SteadyClock clock;
  MemoryDevice device(io, clock, host::build_esp_image(running_spec), make_identity(dir, "ec", "ec", log));
  MemoryDevice rsa_device(io, clock, host::build_esp_image(running_spec), make_identity(dir, "rsa", "rsa:2048", log));
  FileSink sink(io, (dir / "sink.bin").string());
  auto guard = boost::asio::make_work_guard(io);
  std::thread loop([&io] { io.run(); });

  const std::string device_url = fmt::format("http://127.0.0.1:{}/update", device.port());
  const std::string https_url = fmt::format("https://127.0.0.1:{}/update", device.https_port());
  const std::string rsa_url = fmt::format("https://127.0.0.1:{}/update", rsa_device.https_port());
  const std::string sink_url = fmt::format("http://127.0.0.1:{}/upload", sink.port());
  const std::string form = "firmware=@" + image_path + ";type=application/octet-stream";
  // curl waits 1 s for a 100 Continue on bodies over 1 MiB unless told not to: neither server is
  // measured on that wait.
  const std::vector<std::string> curl = {"curl", "-sS", "-f", "-o", "/dev/null", "-H", "Expect:", "-F", form};
  auto trusting = [&](const std::string& name) {
    std::vector<std::string> args = curl;
    args.insert(args.begin() + 1, {"--cacert", (dir / (name + "-cert.pem")).string()});
    return args;
  };
  const std::vector<std::string> curl_ec = trusting("ec"), curl_rsa = trusting("rsa");
  auto get_of = [](std::vector<std::string> args) {  // the same client, a GET of ?status instead
    args.resize(args.size() - 2);
    return args;
  };

  std::vector<double> to_sink, curl_device, otakit_device, curl_https, curl_https_rsa;
  std::vector<double> get_http, get_https, get_https_rsa;
  int64_t peak_heap = 0, peak_heap_tls = 0;
  for (int round = 0; round < kRounds; ++round) {
    auto with = [](std::vector<std::string> args, const std::string& url) {
      args.push_back(url);
      return args;
    };
    to_sink.push_back(run_timed(with(curl, sink_url), log));
    int64_t before = bench::reset_heap_peak();
    curl_device.push_back(run_timed(with(curl, device_url), log));
    peak_heap = std::max(peak_heap, bench::heap_peak() - before);
    otakit_device.push_back(
        run_timed({otakit, "upload", "--url", device_url, "-f", image_path, "--retries", "0"}, log));
    before = bench::reset_heap_peak();
    curl_https.push_back(run_timed(with(curl_ec, https_url), log));
    peak_heap_tls = std::max(peak_heap_tls, bench::heap_peak() - before);
    curl_https_rsa.push_back(run_timed(with(curl_rsa, rsa_url), log));
    get_http.push_back(run_timed(with(get_of(curl), device_url + "?status"), log));
    get_https.push_back(run_timed(with(get_of(curl_ec), https_url + "?status"), log));
    get_https_rsa.push_back(run_timed(with(get_of(curl_rsa), rsa_url + "?status"), log));
  }
  guard.reset();
  io.stop();
  loop.join();

  const double mib = double(kImageSize) / (1 << 20);
  const double base = median(to_sink);
  fmt::print("browser upload of a {}-byte image on loopback, median of {} rounds\n", kImageSize, kRounds);
  fmt::print("{:<46} {:>9} {:>9} {:>8}\n", "transfer", "ms", "MiB/s", "vs sink");
  auto row = [&](const char* what, double ms) {
    fmt::print("{:<46} {:>9.1f} {:>9.1f} {:>7.2f}x\n", what, ms, mib / (ms / 1000), ms / base);
  };
  row("curl -F -> plain file sink (baseline)", base);
  row("curl -F -> device page (Updater, RAM flash)", median(curl_device));
  row("otakit upload --url -> device page", median(otakit_device));
  row("curl -F https -> device page (TLS, EC P-256)", median(curl_https));
  row("curl -F https -> device page (TLS, RSA-2048)", median(curl_https_rsa));
  fmt::print("\none connection's fixed cost: curl GET ?status, median ms\n");
  fmt::print("  http {:.1f}, https EC P-256 {:.1f}, https RSA-2048 {:.1f} (the difference: the TLS handshake)\n",
             median(get_http), median(get_https), median(get_https_rsa));
  fmt::print("\ndevice side memory for one upload\n");
  fmt::print("  peak heap during the transfer (driver + device): {} bytes over http, {} over https\n", peak_heap,
             peak_heap_tls);
  fmt::print("  TlsServer per connection: {} bytes + its buffer: {} (default, 16 KB records out) = {}; "
             "{} with 512-byte records out; {} half duplex\n",
             sizeof(tls::TlsServer), tls::kTlsServerBufferFull, sizeof(tls::TlsServer) + tls::kTlsServerBufferFull,
             sizeof(tls::TlsServer) + tls::kTlsServerBufferSmall, sizeof(tls::TlsServer) + tls::kTlsServerBufferHalfDuplex);
  fmt::print("  webupdate::WebUpdateServer (codec, {} connection slots): {} bytes\n",
             unsigned(webupdate::WebUpdateServer::kConnections), sizeof(webupdate::WebUpdateServer));
  fmt::print("  Updater write buffer: {} bytes; upload page: {} bytes\n", Updater::kBufferSize,
             webupdate::kUpdatePageSize);
  std::filesystem::remove_all(dir);
  return 0;
}
