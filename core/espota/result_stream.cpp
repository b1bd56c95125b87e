#include "core/espota/result_stream.h"

#include "core/espota/replies.h"

namespace otakit::espota {

void DeviceStreamParser::feed(const uint8_t* data, size_t len, uint32_t sent_total) {
  sent_total_ = sent_total;
  for (size_t i = 0; i < len && mode_ != Mode::done; ++i) {
    uint8_t c = data[i];
    switch (mode_) {
      case Mode::acks:
        if (c >= '0' && c <= '9') {
          take_digit(static_cast<uint8_t>(c - '0'));
        } else {
          commit_current();
          if (c == 'O') {
            mode_ = Mode::ok_o;
          } else if (c == 'E') {
            mode_ = Mode::error_text;
            append_text(c);
          } else {
            append_text(c);
            result_ = StreamResult::malformed;
            mode_ = Mode::done;
          }
        }
        break;
      case Mode::ok_o:
        if (c == 'K') {
          result_ = StreamResult::ok;
        } else {
          append_text('O');
          append_text(c);
          result_ = StreamResult::malformed;
        }
        mode_ = Mode::done;
        break;
      case Mode::error_text:
        if (c == '\n') {
          complete_error();
        } else {
          append_text(c);
        }
        break;
      case Mode::done:
        break;
    }
  }
}

void DeviceStreamParser::finish() {
  commit_current();
  if (mode_ == Mode::error_text) {
    complete_error();
  } else if (mode_ == Mode::ok_o) {
    append_text('O');
    result_ = StreamResult::malformed;
    mode_ = Mode::done;
  }
}

uint32_t DeviceStreamParser::acked_estimate() const {
  uint64_t total = committed_ + (has_current_ ? current_ : 0);
  return total < sent_total_ ? static_cast<uint32_t>(total) : sent_total_;
}

// Greedy split of joined acks: extend the current count while it still fits in the bytes sent
// and not yet acknowledged; otherwise the digit starts the next count. No count starts with 0.
void DeviceStreamParser::take_digit(uint8_t digit) {
  ++ack_digits_;
  uint64_t unacked = sent_total_ > committed_ ? sent_total_ - committed_ : 0;
  uint64_t extended = current_ * 10 + digit;
  if (has_current_ && current_ != 0 && extended <= unacked) {
    current_ = extended;
    return;
  }
  commit_current();
  current_ = digit;
  has_current_ = true;
}

void DeviceStreamParser::commit_current() {
  if (!has_current_) return;
  committed_ += current_;
  current_ = 0;
  has_current_ = false;
}

void DeviceStreamParser::append_text(uint8_t c) {
  if (text_len_ >= kMaxText) return;
  text_[text_len_++] = (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  text_[text_len_] = '\0';
}

void DeviceStreamParser::complete_error() {
  error_code_ = parse_error_code(text_, text_len_);
  result_ = StreamResult::error;
  mode_ = Mode::done;
}

}  // namespace otakit::espota
