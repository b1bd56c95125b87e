// bench_sign: sign and verify time for 1 MiB and 4 MiB images, OTAKit in process (OpenSSL EVP
// to sign, the device's BearSSL verifier to verify) against `openssl dgst` run as a subprocess
// on the same files, printed as one table of medians and ratios. Runs in well under 30 s.
#include <fcntl.h>
#include <fmt/core.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/run_quiet.h"
#include "core/crypto/rsa_public_key.h"
#include "core/image/signature_check.h"
#include "files/file_io.h"
#include "host/image_builder.h"
#include "host/rsa_key.h"
#include "host/signer.h"


namespace {

using otakit::host::Bytes;
using Clock = std::chrono::steady_clock;

constexpr int kRuns = 9;

double median_ms(const std::function<void()>& body) {
  std::vector<double> ms;
  for (int i = 0; i < kRuns; ++i) {
    auto start = Clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Runs a program with its output discarded; exits the benchmark if it fails.
void run_quiet(const std::vector<std::string>& args) {
  if (otakit::bench::run_quiet(args) != 0) {
    fmt::print(stderr, "bench_sign: `{}` failed\n", args[0] + " " + args[1] + " " + args[2]);
    std::exit(1);
  }
}

struct Row {
  std::string what;
  double otakit_ms;
  double openssl_ms;
};

void print_table(const std::vector<Row>& rows, double startup_ms) {
  fmt::print("{:<22} {:>11} {:>13} {:>9} {:>22}\n", "operation", "otakit ms", "openssl ms", "ratio",
             "ratio w/o process start");
  for (const Row& r : rows) {
    double net = std::max(r.openssl_ms - startup_ms, 0.001);
    fmt::print("{:<22} {:>11.2f} {:>13.2f} {:>8.2f}x {:>21.2f}x\n", r.what, r.otakit_ms,
               r.openssl_ms, r.openssl_ms / r.otakit_ms, net / r.otakit_ms);
  }
  fmt::print(
      "\nratio = openssl time / otakit time (above 1: otakit is faster). Medians of {} runs.\n"
      "openssl runs as a subprocess, as signing.py calls it; `openssl version` takes {:.2f} ms\n"
      "here, which the last column subtracts. otakit signs with OpenSSL EVP in process and\n"
      "verifies with BearSSL (the device's verifier), so the verify rows compare libraries.\n",
      kRuns, startup_ms);
}

}  // namespace

int main() {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("otakit-bench-sign-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string key_path = (dir / "private.key").string(), pub_path = (dir / "public.key").string();
  auto key = otakit::host::RsaPrivateKey::generate(2048);
  std::string pub_pem = key.public_pem(), priv_pem = key.private_pem();
  otakit::files::write_file_atomic(key_path, Bytes(priv_pem.begin(), priv_pem.end()));
  otakit::files::write_file_atomic(pub_path, Bytes(pub_pem.begin(), pub_pem.end()));
  auto device_key = std::make_unique<otakit::crypto::RsaPublicKey>();
  device_key->load(reinterpret_cast<const uint8_t*>(pub_pem.data()), pub_pem.size());

  double startup_ms = median_ms([] { run_quiet({"openssl", "version", "-v"}); });
  std::vector<Row> rows;
  for (uint32_t mib : {1u, 4u}) {
    otakit::host::ImageSpec spec;
    spec.total_size = mib << 20;
    spec.size_code = 4;  // a 4 MiB image needs a 4 MB flash header
    Bytes image = otakit::host::build_esp_image(spec);
    std::string image_path = (dir / fmt::format("image{}.bin", mib)).string();
    std::string sig_path = image_path + ".sig";
    otakit::files::write_file_atomic(image_path, image);

    Bytes sig;
    double sign_ours =
        median_ms([&] { sig = otakit::host::sign_sha256(key, image.data(), image.size()); });
    Bytes signed_file = otakit::host::make_signed_file(image, sig);
    double verify_ours = median_ms([&] {
      auto c = otakit::check_signed_file(signed_file.data(), uint32_t(signed_file.size()),
                                         *device_key, otakit::SignatureFormat::current);
      if (!c.ok()) std::exit(1);
    });
    double sign_openssl = median_ms([&] {
      run_quiet({"openssl", "dgst", "-sha256", "-sign", key_path, "-out", sig_path, image_path});
    });
    if (otakit::files::read_file(sig_path) != sig) {
      fmt::print(stderr, "bench_sign: openssl and otakit signatures differ\n");
      return 1;
    }
    double verify_openssl = median_ms([&] {
      run_quiet(
          {"openssl", "dgst", "-sha256", "-verify", pub_path, "-signature", sig_path, image_path});
    });
    rows.push_back({fmt::format("sign {} MiB", mib), sign_ours, sign_openssl});
    rows.push_back({fmt::format("verify {} MiB", mib), verify_ours, verify_openssl});
  }
  std::filesystem::remove_all(dir);
  print_table(rows, startup_ms);
  return 0;
}
