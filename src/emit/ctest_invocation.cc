#include "emit/ctest_invocation.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace pytest_shards {

namespace {

// Options that leave the selection to -R, -E, -L and -LE, and whether each
// takes a value.
const std::set<std::string>& FlagOptions() {
  static const std::set<std::string> flags = {"-V",
                                              "--verbose",
                                              "-VV",
                                              "--extra-verbose",
                                              "--output-on-failure",
                                              "-Q",
                                              "--quiet",
                                              "--progress",
                                              "--debug",
                                              "--schedule-random",
                                              "--stop-on-failure",
                                              "--no-compress-output",
                                              "--force-new-ctest-process",
                                              "--no-label-summary",
                                              "--no-subproject-summary"};
  return flags;
}

const std::set<std::string>& ValueOptions() {
  static const std::set<std::string> values = {"-C",
                                               "--build-config",
                                               "-O",
                                               "--output-log",
                                               "--output-junit",
                                               "--test-dir",
                                               "--timeout",
                                               "--stop-time",
                                               "--repeat",
                                               "--repeat-until-fail",
                                               "--max-width",
                                               "-T",
                                               "--test-action",
                                               "-M",
                                               "--test-model",
                                               "--resource-spec-file",
                                               "--test-load",
                                               "--test-output-size-passed",
                                               "--test-output-size-failed",
                                               "--test-output-truncation",
                                               "--no-tests",
                                               "-FA",
                                               "-FS",
                                               "-FC",
                                               "--fixture-exclude-any",
                                               "--fixture-exclude-setup",
                                               "--fixture-exclude-cleanup"};
  return values;
}

// Options that --rerun-failed overrides, and whether each takes a value:
// without it they choose entries by number or from a file.
const std::map<std::string, bool>& NumberOptions() {
  static const std::map<std::string, bool> options = {
      {"-I", true},       {"--tests-information", true}, {"-U", false},
      {"--union", false}, {"--tests-from-file", true},   {"--exclude-from-file", true}};
  return options;
}

bool IsNumber(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// CTest's regular expressions (cmsys, after Henry Spencer) know ^ $ . [ ]
// * + ? | ( ) and a backslash that makes the next character literal. Where
// ECMAScript reads a pattern otherwise (\d, {2}, [:alpha:], (?:, *?, a
// backslash inside brackets, ^ or $ inside a branch), it is not compared.
bool ReadsTheSame(const std::string& pattern) {
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    char next = i + 1 < pattern.size() ? pattern[i + 1] : '\0';
    if (in_class) {
      if (c == '\\' || (c == '[' && (next == ':' || next == '=' || next == '.'))) return false;
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '\\') {
      if (next == '\0' || std::isalnum(static_cast<unsigned char>(next))) return false;
      ++i;
    } else if (c == '[') {
      in_class = true;
      if (next == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // "[]a]": ']' is literal
    } else if (c == '{' || c == '}') {
      return false;
    } else if ((c == '*' || c == '+' || c == '?') && (next == '?' || next == '*' || next == '+')) {
      return false;
    } else if (c == '(' && next == '?') {
      return false;
    } else if (c == '^' && i > 0 && pattern[i - 1] != '(' && pattern[i - 1] != '|') {
      return false;
    } else if (c == '$' && next != '\0' && next != ')' && next != '|') {
      return false;
    }
  }
  return !in_class;
}

// `text` with its escapes undone, when it holds no operator: a literal.
std::optional<std::string> Literal(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      if (++i == text.size()) return std::nullopt;
      out += text[i];
    } else if (std::string_view("^$.[]*+?|(){}").find(c) != std::string_view::npos) {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

// The pieces of `text` between its '|' outside parentheses and brackets.
std::vector<std::string> Branches(const std::string& text) {
  std::vector<std::string> branches(1);
  int depth = 0;
  bool in_class = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      branches.back() += text.substr(i++, 2);
      continue;
    }
    if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      branches.emplace_back();
      continue;
    }
    branches.back() += c;
  }
  return branches;
}

// The whole names that `pattern` matches when it is "^a$|^b$" or "^(a|b)$"
// (how IDEs ask for the tests clicked), else none.
std::optional<std::vector<std::string>> WholeNames(const std::string& pattern) {
  auto anchored = [](const std::string& text) {
    return text.size() >= 2 && text.front() == '^' && text.back() == '$' &&
           (text.size() < 3 || text[text.size() - 2] != '\\');
  };
  std::vector<std::string> names;
  for (const std::string& branch : Branches(pattern)) {
    if (!anchored(branch)) return std::nullopt;
    std::string body = branch.substr(1, branch.size() - 2);
    std::optional<std::string> literal = Literal(body);
    if (literal) {
      names.push_back(*literal);
      continue;
    }
    if (body.size() < 2 || body.front() != '(' || body.back() != ')') return std::nullopt;
    for (const std::string& inner : Branches(body.substr(1, body.size() - 2))) {
      std::optional<std::string> name = Literal(inner);
      if (!name) return std::nullopt;
      names.push_back(*name);
    }
  }
  return names;
}

// A pattern of -E, -L or -LE as ECMAScript reads it, when CTest reads it the
// same.
std::optional<std::regex> Readable(const std::string& pattern) {
  if (!ReadsTheSame(pattern)) return std::nullopt;
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error&) {
    return std::nullopt;
  }
}

// Whether `pattern` surely matches one of `texts` (an unreadable one: no).
bool SurelyMatches(const std::optional<std::regex>& pattern,
                   const std::vector<std::string>& texts) {
  return pattern && std::any_of(texts.begin(), texts.end(), [&](const std::string& text) {
           return std::regex_search(text, *pattern);
         });
}

// Whether `pattern` surely matches none of `texts` (an unreadable one: no).
bool SurelyMisses(const std::optional<std::regex>& pattern, const std::vector<std::string>& texts) {
  return pattern && !SurelyMatches(pattern, texts);
}

// An option given twice is read as both, as either, or as the last by
// different CTest versions: only what every pattern decides is sure.
template <typename Decides>
bool AllDecide(const std::vector<std::optional<std::regex>>& patterns, Decides decides) {
  return !patterns.empty() && std::all_of(patterns.begin(), patterns.end(), decides);
}

}  // namespace

CtestInvocation CtestInvocation::FromArguments(
    const std::vector<std::string>& argv, const std::optional<std::vector<std::string>>& rerun) {
  CtestInvocation ctest;
  if (argv.empty()) return ctest;
  std::optional<std::string> tests_regex;
  bool rerun_failed = false;
  bool by_number = false;  // -I, -U, --tests-from-file, ...
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string option = argv[i];
    std::optional<std::string> value;
    if (size_t equals = option.find('='); option.rfind("--", 0) == 0 && equals != option.npos) {
      value = option.substr(equals + 1);
      option.resize(equals);
    }
    if (option == "-N" || option == "--show-only" || option == "--print-labels") {
      ctest.listing_ = true;
    } else if (option == "-j" || option == "--parallel") {
      if (!value && i + 1 < argv.size() && IsNumber(argv[i + 1])) ++i;
    } else if (option.rfind("-j", 0) == 0 && IsNumber(option.substr(2))) {
    } else if (FlagOptions().count(option)) {
      if (value) return CtestInvocation();
    } else if (option == "-R" || option == "--tests-regex") {
      if (!value && ++i == argv.size()) return CtestInvocation();
      if (tests_regex) return CtestInvocation();  // which one wins differs by version
      tests_regex = value ? *value : argv[i];
      if (!tests_regex->empty())
        ctest.selecting_.insert(ctest.selecting_.end(), {option, *tests_regex});
    } else if (std::vector<Pattern>* patterns = ctest.Filter(option)) {
      if (!value && ++i == argv.size()) return CtestInvocation();
      std::string pattern = value ? *value : argv[i];
      if (pattern.empty()) continue;  // CTest ignores an empty one
      patterns->push_back(Readable(pattern));
      ctest.selecting_.insert(ctest.selecting_.end(), {option, pattern});
    } else if (ValueOptions().count(option)) {
      if (!value && ++i == argv.size()) return CtestInvocation();
    } else if (option == "--rerun-failed") {
      rerun_failed = true;
    } else if (auto number = NumberOptions().find(option); number != NumberOptions().end()) {
      if (number->second && !value && ++i == argv.size()) return CtestInvocation();
      by_number = true;
    } else {
      // --preset, -S, -D, ...:
      // the selection is not that of -R, -E, -L and -LE alone.
      return CtestInvocation();
    }
  }
  if (rerun_failed) return RerunFailed(ctest.listing_, rerun);
  if (by_number) return CtestInvocation();
  ctest.known_ = true;
  if (!tests_regex || tests_regex->empty()) return ctest;
  if ((ctest.literals_ = WholeNames(*tests_regex))) {
    std::sort(ctest.literals_->begin(), ctest.literals_->end());
    return ctest;
  }
  // Nothing when CTest rejects it too, or reads it otherwise.
  ctest.regex_ = Readable(*tests_regex);
  return ctest;
}

CtestInvocation CtestInvocation::RerunFailed(bool listing,
                                             const std::optional<std::vector<std::string>>& rerun) {
  CtestInvocation ctest;
  if (!rerun) return ctest;
  ctest.known_ = true;
  ctest.listing_ = listing;
  ctest.rerun_ = *rerun;
  std::sort(ctest.rerun_->begin(), ctest.rerun_->end());
  ctest.selecting_ = {"--rerun-failed"};
  return ctest;
}

std::vector<CtestInvocation::Pattern>* CtestInvocation::Filter(const std::string& option) {
  if (option == "-E" || option == "--exclude-regex") return &excludes_;
  if (option == "-L" || option == "--label-regex") return &labels_;
  if (option == "-LE" || option == "--label-exclude") return &label_excludes_;
  return nullptr;
}

bool CtestInvocation::MayRun(const std::string& name) const {
  if (literals_) return std::binary_search(literals_->begin(), literals_->end(), name);
  if (regex_) return std::regex_search(name, *regex_);
  return true;
}

bool CtestInvocation::Selects(const std::string& name,
                              const std::optional<std::vector<std::string>>& labels) const {
  if (rerun_) return std::binary_search(rerun_->begin(), rerun_->end(), name);
  if (!MayRun(name)) return false;
  std::vector<std::string> names = {name};
  if (AllDecide(excludes_, [&](const Pattern& p) { return SurelyMatches(p, names); })) return false;
  if (!labels) return true;
  if (AllDecide(labels_, [&](const Pattern& p) { return SurelyMisses(p, *labels); })) return false;
  return !AllDecide(label_excludes_, [&](const Pattern& p) { return SurelyMatches(p, *labels); });
}

std::string CommandText(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& word : argv) {
    text += text.empty() ? "" : " ";
    if (!word.empty() && word.find_first_of(" '\"\t\n") == std::string::npos) {
      text += word;
      continue;
    }
    text += '\'';
    for (char c : word) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
    text += '\'';
  }
  return text;
}

std::string CtestInvocation::SelectionText() const { return CommandText(selecting_); }

}  // namespace pytest_shards
