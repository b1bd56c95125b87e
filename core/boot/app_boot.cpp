#include "core/boot/app_boot.h"

#include "core/boot/boot_command.h"
#include "core/boot/placement.h"

namespace otakit {

AppBoot::AppBoot(Flash& flash, const FlashLayout& layout, RtcMemory& rtc)
    : flash_(flash), layout_(layout), rtc_(rtc), journal_(flash, layout.journal_address(0), layout.journal_address(1)) {}

bool AppBoot::load() {
  state_ = BootState();
  JournalStatus status = journal_.load(&state_);
  loaded_ = status != JournalStatus::flash_error;
  return loaded_;
}

ImageRules AppBoot::image_rules() const { return next_image_rules(flash_.size(), layout_, state_); }

bool AppBoot::stage(uint32_t address, uint32_t size, const uint8_t* sha256) {
  EbootCommand command;
  command.action = EbootAction::copy_raw;
  command.args[0] = address;
  command.args[1] = 0;
  command.args[2] = size;
  command.args[3] = state_.last_command_id + 1;  // distinguishes it from the last one carried out
  if (sha256 != nullptr) put_staged_hash(&command, sha256);
  return write_eboot_command(rtc_, command);
}

bool AppBoot::confirm() {
  if (!on_trial()) return false;
  return journal_.append(RecordType::confirm, 0, nullptr, 0, &state_);
}

bool AppBoot::reject_trial() {
  if (!on_trial()) return false;
  return journal_.append(RecordType::reject, 0, nullptr, 0, &state_);
}

}  // namespace otakit
