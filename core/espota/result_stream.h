// Host side: reads what a device sends back over the upload connection: decimal byte-count acks
// (unframed, so several may arrive joined, "14601460"), then "OK" or "ERROR[n]: text\n".
// A host must not rely on read boundaries: this parser keeps running totals whatever the split.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::espota {

enum class StreamResult : uint8_t {
  pending,    // only acks so far
  ok,         // "OK"
  error,      // "ERROR[n]: text" complete (newline seen, or finish() after the text started)
  malformed,  // bytes that are neither digits, "OK" nor an error text
};

class DeviceStreamParser {
 public:
  static constexpr size_t kMaxText = 160;

  // sent_total: bytes handed to TCP so far (an ack can never exceed what was sent).
  void feed(const uint8_t* data, size_t len, uint32_t sent_total);
  // The device closed the connection: a started error text counts as complete, a lone "O" is malformed.
  void finish();

  StreamResult result() const { return result_; }
  bool error_started() const { return mode_ == Mode::error_text; }
  // Bytes acknowledged so far. Joined acks are split by the largest count that still fits in
  // what was sent, so the figure is exact for espota-like devices (one ack per read) and a
  // close estimate otherwise; only the final OK/ERROR decides success.
  uint32_t acked_estimate() const;
  // Ack digits seen: grows whenever the device answers, whatever the numbers were.
  uint32_t ack_digits() const { return ack_digits_; }
  int error_code() const { return error_code_; }
  // The error text without its newline, or the first unexpected bytes (printable ASCII only).
  const char* text() const { return text_; }

 private:
  enum class Mode : uint8_t { acks, ok_o, error_text, done };
  void take_digit(uint8_t digit);
  void commit_current();
  void append_text(uint8_t c);
  void complete_error();

  Mode mode_ = Mode::acks;
  StreamResult result_ = StreamResult::pending;
  uint32_t sent_total_ = 0;
  uint64_t committed_ = 0;
  uint64_t current_ = 0;
  bool has_current_ = false;
  uint32_t ack_digits_ = 0;
  int error_code_ = -1;
  char text_[kMaxText + 1] = {};
  size_t text_len_ = 0;
};

}  // namespace otakit::espota
