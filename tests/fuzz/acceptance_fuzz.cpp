// The acceptance rule over any bytes: the same verdict and sentence through a buffer and through
// flash, reads only inside the words that hold the file, and a reason for every refusal.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "core/image/acceptance.h"
#include "tests/fuzz/byte_flash.h"

namespace {

using namespace otakit;

// Traps on any read outside [begin, end) and on any write: the rule only reads its file.
class WindowFlash final : public Flash {
 public:
  WindowFlash(Flash& inner, uint32_t begin, uint32_t end) : inner_(inner), begin_(begin), end_(end) {}
  uint32_t size() const override { return inner_.size(); }
  FlashStatus read(uint32_t address, void* out, uint32_t len) override {
    if (address < begin_ || address > end_ || len > end_ - address) __builtin_trap();
    return inner_.read(address, out, len);
  }
  FlashStatus erase_sector(uint32_t) override { __builtin_trap(); }
  FlashStatus write(uint32_t, const void*, uint32_t) override { __builtin_trap(); }

 private:
  Flash& inner_;
  uint32_t begin_, end_;
};

// The first input byte picks the device's rules: bits 0-1 the chip, bit 2 a space limit, bit 3 a
// security floor. Its high nibble is where the file starts in flash.
ImageRules rules_for(uint8_t pick, uint32_t size) {
  static const uint32_t kChips[4] = {0, 256u << 10, 1u << 20, 16u << 20};
  ImageRules rules;
  rules.chip_size = kChips[pick & 3];
  rules.max_size = pick & 4 ? size / 2 + 1 : 0;
  rules.min_security_version = (pick >> 3) & 1;
  return rules;
}

void check_invariants(const ImageAcceptance& a, uint32_t size) {
  if (strnlen(a.detail, sizeof(a.detail)) >= sizeof(a.detail)) __builtin_trap();
  if (a.ok() && (a.detail[0] != '\0' || a.image_end == 0 || a.image_end > size || a.image_end % 16 != 0))
    __builtin_trap();
  bool refused = a.verdict != ImageVerdict::accepted && a.verdict != ImageVerdict::needs_inflation;
  if (refused && a.detail[0] == '\0') __builtin_trap();  // every refusal says why
  if (a.verdict == ImageVerdict::needs_inflation && (a.kind != EspFileKind::gzip || a.inflated_size == 0))
    __builtin_trap();
}

bool same(const ImageAcceptance& a, const ImageAcceptance& b) {
  const ImageDiagnosis &x = a.diagnosis, &y = b.diagnosis;
  return a.verdict == b.verdict && x.error == y.error && x.image_offset == y.image_offset && x.offset == y.offset &&
         x.segment == y.segment && x.expected == y.expected && x.actual == y.actual && a.kind == b.kind &&
         a.image_end == b.image_end && a.inflated_size == b.inflated_size &&
         a.declared_flash_size == b.declared_flash_size && a.security_version == b.security_version &&
         strcmp(a.detail, b.detail) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1u << 24)) return 0;
  const uint8_t* file = data + 1;
  const uint32_t n = uint32_t(size - 1);
  const ImageRules rules = rules_for(data[0], n);

  // The same bytes in flash, at any offset; the chip ends with the last word that holds them.
  const uint32_t start = data[0] >> 4;
  std::vector<uint8_t> chip(round_up_flash_align(start + n), 0xA5);
  if (n > 0) memcpy(chip.data() + start, file, n);
  fuzz::ByteFlash bytes(chip.data(), uint32_t(chip.size()));
  WindowFlash flash(bytes, start & ~(kFlashAlign - 1), uint32_t(chip.size()));

  BufferReader in_ram(file, n);
  FlashRegionReader in_flash(flash, start, n);
  const ImageAcceptance a = check_image(in_ram, rules);
  if (!same(a, check_image(in_flash, rules))) __builtin_trap();
  check_invariants(a, n);

  const ImageAcceptance inflated = check_inflated_image(in_ram, rules);
  if (!same(inflated, check_inflated_image(in_flash, rules))) __builtin_trap();
  check_invariants(inflated, n);
  if (inflated.verdict == ImageVerdict::needs_inflation) __builtin_trap();
  // Both passes apply one rule: they differ only on a gzip, which the second refuses outright.
  if (a.kind != EspFileKind::gzip && !same(a, inflated)) __builtin_trap();
  return 0;
}
