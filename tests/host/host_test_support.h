// Helpers for host tests: a scratch directory removed at the end, whole-file reads and writes,
// and running a shell command (openssl, the otakit binary) with its exit code and output.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace otakit::test {

using Bytes = std::vector<uint8_t>;

inline Bytes slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string slurp_text(const std::string& path) {
  Bytes b = slurp(path);
  return std::string(b.begin(), b.end());
}

inline void spit(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

inline std::string vector_path(const std::string& name) {
  return std::string(OTAKIT_VECTORS_DIR) + "/signing/" + name;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "otakit-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command` with sh; stdout and stderr are captured through files in dir.
inline RunResult run(const std::string& command, const TempDir& dir) {
  std::string out = dir / ".stdout", err = dir / ".stderr";
  int status = std::system(("( " + command + " ) >'" + out + "' 2>'" + err + "'").c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp_text(out);
  r.err = slurp_text(err);
  return r;
}

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace otakit::test
