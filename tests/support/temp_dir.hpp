// TempDir: a fresh directory per integration test (configs, logs, certificates), removed with
// everything in it when the test ends. Set SOVGW_KEEP_TEMP=1 to keep it for a post-mortem.
// Not thread-safe; one per test.
//
//   TempDir dir;
//   std::string cfg = dir.write("sovgw.toml", toml_text);
#pragma once

#include <string>
#include <string_view>

namespace sovgw::testing {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>-XXXXXX (or /tmp/...). Throws std::runtime_error if it cannot.
  explicit TempDir(std::string_view prefix = "sovgw-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Absolute path of `name` inside the directory (the file need not exist).
  std::string file(std::string_view name) const;
  // Writes `content` to `name` (replacing it) and returns its absolute path.
  std::string write(std::string_view name, std::string_view content) const;
  // Contents of `name`; "" if it does not exist.
  std::string read(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace sovgw::testing
