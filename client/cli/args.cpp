// args.cpp: see args.hpp.
#include "args.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "text_util.hpp"

namespace runstore::cli {

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::values(const std::string& name) const {
  auto it = options.find(name);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

namespace {

std::string help_hint(const std::string& command) {
  return command.empty() ? " (see 'runstore --help')"
                         : " (see 'runstore " + command + " --help')";
}

const OptionSpec* find_long(const std::vector<OptionSpec>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.long_name == name) return &s;
  return nullptr;
}

const OptionSpec* find_short(const std::vector<OptionSpec>& specs, char c) {
  for (const auto& s : specs)
    if (s.short_name != 0 && s.short_name == c) return &s;
  return nullptr;
}

}  // namespace

ParsedArgs parse_args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
                      const std::string& command, bool stop_at_first_positional) {
  ParsedArgs out;
  auto store = [&](const OptionSpec& spec, std::string value) {
    auto& slot = out.options[spec.long_name];
    if (!slot.empty() && !spec.repeatable)
      throw UsageError("option --" + spec.long_name + " given more than once" + help_hint(command));
    slot.push_back(std::move(value));
  };

  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      out.saw_double_dash = true;
      out.after_double_dash.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    }
    // "-" alone is a word (conventionally stdin), not an option.
    if (arg.size() < 2 || arg[0] != '-') {
      if (stop_at_first_positional) {
        out.positional.assign(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
        break;
      }
      out.positional.push_back(arg);
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    std::string shown;  // how the user spelled it, for messages
    if (arg[1] == '-') {
      std::string name = arg.substr(2);
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      shown = "--" + name;
      spec = find_long(specs, name);
    } else {
      shown = arg.substr(0, 2);
      spec = find_short(specs, arg[1]);
      if (arg.size() > 2) inline_value = arg.substr(2);  // -dVALUE
    }
    if (spec == nullptr) {
      std::string where = command.empty() ? "" : " for '" + command + "'";
      throw UsageError("unknown option " + quote_word(shown) + where + help_hint(command));
    }
    if (!spec->takes_value) {
      if (inline_value)
        throw UsageError("option --" + spec->long_name + " takes no value" + help_hint(command));
      store(*spec, "");
      continue;
    }
    if (inline_value) {
      store(*spec, *inline_value);
    } else if (i + 1 < argv.size()) {
      store(*spec, argv[++i]);
    } else {
      throw UsageError("option --" + spec->long_name + " needs a value" + help_hint(command));
    }
  }
  return out;
}

std::int64_t parse_int64(const std::string& text, const std::string& what) {
  // strtoll alone accepts leading blanks, "+" and trailing junk; refuse them.
  bool shape_ok = !text.empty() && text.size() <= 20;
  for (std::size_t i = 0; shape_ok && i < text.size(); ++i) {
    const char c = text[i];
    shape_ok = (c >= '0' && c <= '9') || (i == 0 && c == '-' && text.size() > 1);
  }
  if (shape_ok) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end != nullptr && *end == '\0') return v;
  }
  throw UsageError("invalid " + what + ": " + quote_word(text) + " (expected an integer)");
}

std::int32_t parse_int32(const std::string& text, const std::string& what, std::int32_t min,
                         std::int32_t max) {
  std::int64_t v = 0;
  try {
    v = parse_int64(text, what);
  } catch (const UsageError&) {
    v = std::numeric_limits<std::int64_t>::min();
  }
  if (v < min || v > max) {
    throw UsageError("invalid " + what + ": " + quote_word(text) + " (expected an integer from " +
                     std::to_string(min) + " to " + std::to_string(max) + ")");
  }
  return static_cast<std::int32_t>(v);
}

std::int64_t parse_seconds_ms(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
  // At most a week: longer than any lease runstore accepts.
  const bool ok = !text.empty() && errno == 0 && end != nullptr && *end == '\0' &&
                  std::isfinite(v) && v >= 0.001 && v <= 7 * 24 * 3600.0;
  if (!ok) {
    throw UsageError("invalid " + what + ": " + quote_word(text) +
                     " (expected seconds, from 0.001 to 604800)");
  }
  return static_cast<std::int64_t>(std::llround(v * 1000.0));
}

}  // namespace runstore::cli
