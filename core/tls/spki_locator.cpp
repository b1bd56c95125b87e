// A DER header walker: enters the two outer SEQUENCEs, then counts tbsCertificate's fields by
// skipping their contents, until the seventh element (sixth without the version) has passed.
#include "core/tls/spki_locator.h"

namespace otakit::tls {
namespace {

constexpr uint8_t kSequence = 0x30;
constexpr uint8_t kVersionTag = 0xA0;  // [0] EXPLICIT, constructed
constexpr uint8_t kSpkiField = 5;      // serial, signature, issuer, validity, subject come first

}  // namespace

void SpkiLocator::reset() {
  state_ = State::tag;
  depth_ = 0;
  field_ = 0;
  length_bytes_ = 0;
  length_ = 0;
  offset_ = 0;
  skip_left_ = 0;
  spki_begin_ = 0;
  spki_end_ = 0;
  in_spki_ = false;
}

void SpkiLocator::feed(const uint8_t* data, size_t len, const uint8_t** spki, size_t* spki_len) {
  const uint32_t chunk_begin = offset_;
  size_t used = 0;
  while (used < len && state_ != State::done && state_ != State::failed) {
    if (state_ == State::skip) {
      uint32_t n = len - used < skip_left_ ? uint32_t(len - used) : skip_left_;
      skip_left_ -= n;
      used += n;
      offset_ += n;
      if (skip_left_ == 0) state_ = in_spki_ ? State::done : State::tag;
      continue;
    }
    take_header_byte(data[used]);
    used++;
    offset_++;
  }
  *spki = nullptr;
  *spki_len = 0;
  if (!in_spki_) return;
  uint32_t begin = spki_begin_ > chunk_begin ? spki_begin_ : chunk_begin;
  uint32_t end = spki_end_ != 0 && spki_end_ < offset_ ? spki_end_ : offset_;
  if (end > begin) {
    *spki = data + (begin - chunk_begin);
    *spki_len = end - begin;
  }
}

void SpkiLocator::take_header_byte(uint8_t c) {
  switch (state_) {
    case State::tag:
      if ((c & 0x1F) == 0x1F || (depth_ < 2 && c != kSequence)) {
        state_ = State::failed;
        return;
      }
      if (depth_ == 2 && !(c == kVersionTag && field_ == 0)) {
        if (field_ == kSpkiField) {
          if (c != kSequence) {
            state_ = State::failed;
            return;
          }
          in_spki_ = true;
          spki_begin_ = offset_;
        }
        field_++;
      }
      state_ = State::length_first;
      return;
    case State::length_first:
      if (c < 0x80) {
        length_ = c;
        header_complete();
      } else if (c == 0x80 || c > 0x84) {
        state_ = State::failed;  // indefinite length (BER, not DER) or more than 4 GiB
      } else {
        length_bytes_ = c & 0x7F;
        length_ = 0;
        state_ = State::length_more;
      }
      return;
    case State::length_more:
      length_ = length_ << 8 | c;
      if (--length_bytes_ == 0) header_complete();
      return;
    case State::skip:
    case State::done:
    case State::failed: return;
  }
}

void SpkiLocator::header_complete() {
  if (depth_ < 2) {  // Certificate and tbsCertificate: step inside
    depth_++;
    state_ = State::tag;
    return;
  }
  if (in_spki_) {
    if (length_ > 0xFFFFFFFFu - offset_ - 1) {
      state_ = State::failed;
      return;
    }
    spki_end_ = offset_ + 1 + length_;  // offset_ is this last header byte's
  }
  skip_left_ = length_;
  if (length_ == 0) {
    state_ = in_spki_ ? State::done : State::tag;
  } else {
    state_ = State::skip;
  }
}

}  // namespace otakit::tls
