// command_line.cpp: see command_line.hpp.
#include "command_line.hpp"

#include <map>
#include <memory>
#include <utility>

#include "args.hpp"
#include "suggest.hpp"
#include "text_util.hpp"

namespace runstore::cli {

namespace {

// CLI11 reads "--name=" as "--name" and takes the next word as its value.
// Such a word gets a NUL after the '=' (no argv word can hold one) so the
// value is there, and the NUL comes off every value and word again.
void mark_empty_value(std::string& word) {
  if (word.size() > 2 && word.compare(0, 2, "--") == 0 && word.back() == '=') word.push_back('\0');
}

std::string unmark(std::string word) {
  if (!word.empty() && word.back() == '\0') word.pop_back();
  return word;
}

}  // namespace

CommandLine::CommandLine(std::string command, const HelpText& help)
    : command_(std::move(command)), app_(help.above, command_.empty() ? "runstore" : "runstore " + command_) {
  // --help is the caller's own flag (parse_command): CLI11's would print the
  // help even when the line also holds a mistake.
  app_.set_help_flag();
  // Unknown options and words are left, in order, to take_words().
  app_.allow_extras();
  // An option given twice is found by check_occurrences(), with the CLI's
  // message.
  app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->group(help.options_heading);
  app_.footer(help.below);
  auto formatter = std::make_shared<HelpFormatter>();
  formatter->column_width(help.column);
  app_.formatter(formatter);
}

CLI::Option* CommandLine::value(const std::string& names, std::optional<std::string>& into, const std::string& metavar,
                                const std::string& description) {
  return app_.add_option(names, into, description)->type_name(metavar)->transform(unmark);
}

CLI::Option* CommandLine::values(const std::string& names, std::vector<std::string>& into, const std::string& metavar,
                                 const std::string& description) {
  // One value per occurrence: "--tag a b" is the tag "a" and the word "b".
  return app_.add_option(names, into, description)
      ->type_name(metavar)
      ->transform(unmark)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

CLI::Option* CommandLine::flag(const std::string& names, bool& into, const std::string& description) {
  return app_.add_flag(names, into, description);
}

void CommandLine::stop_at_first_word() {
  stop_at_first_word_ = true;
  app_.prefix_command();
}

void CommandLine::keep_double_dash_apart() { keep_double_dash_apart_ = true; }

void CommandLine::parse(const std::vector<std::string>& args) {
  // CLI11 takes the words from the back.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  for (auto& word : reversed) mark_empty_value(word);
  try {
    app_.parse(reversed);
  } catch (const CLI::ParseError& e) {
    // CLI11 throws at a value missing at the end of the line, or once the
    // line is read when a flag's value does not convert: a mistake it read
    // before that comes first.
    take_words();
    check_occurrences();
    const std::string what = e.what();
    for (const CLI::Option* opt : app_.get_options()) {
      // CLI11's own words: "--name: 1 required W missing".
      if (what.rfind(opt->get_name() + ":", 0) == 0)
        throw UsageError("option " + opt->get_name() + " needs a value" + help_hint());
    }
    throw UsageError(what + help_hint());
  }
  take_words();
  check_occurrences();
}

void CommandLine::take_words() {
  words_.clear();
  after_double_dash_.clear();
  saw_double_dash_ = false;
  for (const std::string& left : app_.remaining()) {
    const std::string word = unmark(left);
    if (saw_double_dash_) {
      (keep_double_dash_apart_ ? after_double_dash_ : words_).push_back(word);
    } else if (stop_at_first_word_ && !words_.empty()) {
      words_.push_back(word);
    } else if (word == "--") {
      saw_double_dash_ = true;
    } else if (word.size() >= 2 && word[0] == '-') {
      // What CLI11 did not know, and what it took for a negative number
      // ("-5"): an option to the CLI, which has none of either.
      throw UsageError(unknown_option(word));
    } else {
      words_.push_back(word);
    }
  }
}

void CommandLine::check_occurrences() const {
  // In the order given: the n-th time an option appears is its n-th result.
  std::map<const CLI::Option*, std::size_t> seen;
  for (const CLI::Option* opt : app_.parse_order()) {
    const std::size_t n = seen[opt]++;
    // A flag (CLI11 expects no item) keeps "true" each time it is given, or
    // the value given with it ("--json=x").
    if (opt->get_items_expected_max() == 0 && opt->results().at(n) != "true")
      throw UsageError("option " + opt->get_name() + " takes no value" + help_hint());
    if (n == 1 && opt->get_multi_option_policy() != CLI::MultiOptionPolicy::TakeAll)
      throw UsageError("option " + opt->get_name() + " given more than once" + help_hint());
  }
}

std::string CommandLine::unknown_option(const std::string& word) const {
  const bool is_long = word[1] == '-';
  // As it was typed, without a value: "--name" of "--name=x", "-x" of "-xyz".
  const std::string shown = is_long ? word.substr(0, word.find('=')) : word.substr(0, 2);
  std::string message = "unknown option " + quote_word(shown);
  if (!command_.empty()) message += " for '" + command_ + "'";
  if (is_long) {
    std::vector<std::string> known;
    for (const CLI::Option* opt : app_.get_options())
      known.insert(known.end(), opt->get_lnames().begin(), opt->get_lnames().end());
    if (auto near = closest_match(shown.substr(2), known)) message += "; did you mean '--" + *near + "'?";
  }
  return message + help_hint();
}

std::string CommandLine::help_hint() const {
  return command_.empty() ? " (see 'runstore --help')" : " (see 'runstore " + command_ + " --help')";
}

}  // namespace runstore::cli
