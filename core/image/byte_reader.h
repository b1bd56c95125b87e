// Random access to the bytes of a firmware file, wherever they are: a buffer in RAM (host tools,
// tests) or a region of flash (the Updater's staging area, the primary slot at boot). The image
// checks read through it, so the same rule runs on both.
#pragma once
#include <stdint.h>
#include <string.h>

#include "core/flash/flash.h"

namespace otakit {

class ByteReader {
 public:
  virtual uint32_t size() const = 0;
  // False when [offset, offset+len) leaves the file or the storage fails.
  virtual bool read(uint32_t offset, void* out, uint32_t len) = 0;

 protected:
  ~ByteReader() = default;
};

class BufferReader final : public ByteReader {
 public:
  BufferReader(const uint8_t* data, uint32_t size) : data_(data), size_(size) {}
  uint32_t size() const override { return size_; }
  bool read(uint32_t offset, void* out, uint32_t len) override {
    if (offset > size_ || len > size_ - offset) return false;
    memcpy(out, data_ + offset, len);
    return true;
  }

 private:
  const uint8_t* data_;
  uint32_t size_;
};

class FlashRegionReader final : public ByteReader {
 public:
  FlashRegionReader(Flash& flash, uint32_t address, uint32_t size) : flash_(flash), address_(address), size_(size) {}
  uint32_t size() const override { return size_; }
  bool read(uint32_t offset, void* out, uint32_t len) override {
    if (offset > size_ || len > size_ - offset) return false;
    return flash_read_bytes(flash_, address_ + offset, out, len) == FlashStatus::ok;
  }

 private:
  Flash& flash_;
  uint32_t address_;
  uint32_t size_;
};

}  // namespace otakit
