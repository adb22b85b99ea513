#pragma once
// A deterministic mixed-language corpus for tokenizer benchmarks: English prose, emails, code,
// numbers, accented Latin, Chinese/Japanese, Korean and emoji, as documents of ~100 B to ~2 KB.
// Same seed, same bytes on every machine, so lmpipe and its peers tokenize identical input.
#include <cstdint>
#include <string>
#include <vector>

namespace lmpipe::bench {

class CorpusRng {
 public:
  explicit CorpusRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  template <typename T>
  const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }

 private:
  uint64_t state_;
};

namespace corpus_detail {

inline const std::vector<std::string> kEnglishWords = {
    "the", "market", "report", "quarterly", "growth", "team", "project", "customer", "service", "delivery",
    "analysis", "results", "however", "although", "significant", "increase", "decrease", "management",
    "development", "internationalization", "infrastructure", "performance", "we", "they", "will", "should",
    "meeting", "schedule", "tomorrow", "yesterday", "because", "research", "university", "government",
    "policy", "climate", "energy", "transportation", "railway", "weather", "forecast", "unbelievably",
    "straightforward", "photograph", "mountain", "river", "village", "children", "teacher", "library",
    "is", "was", "are", "has", "have", "of", "to", "in", "and", "a", "for", "on", "with", "that", "it",
    "not", "but", "from", "by", "their", "which", "new", "first", "after", "most", "also", "many"};
inline const std::vector<std::string> kNames = {"Alice", "Bob", "Carol", "David", "Eve", "Frank",
                                                "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Olivia"};
inline const std::vector<std::string> kEmailBodies = {
    "Please find attached the invoice for October.", "Can we move our call to Thursday at 3pm?",
    "Your order #{N} has shipped and will arrive in 2-3 business days.",
    "Congratulations! You have won a $1,000 gift card. Click here to claim: http://example.com/claim?id={N}",
    "The server went down at 02:14 UTC; we rolled back to v2.3.{N}.",
    "Reminder: the quarterly review is due on 2024-03-{N}.", "Thanks for your help with the migration!",
    "I'm out of office until Monday, reply to support@example.org for urgent issues.",
    "Let me know if the numbers in the spreadsheet look right to you."};
inline const std::vector<std::string> kCode = {
    "def fibonacci(n: int) -> int:\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "for (size_t i = 0; i < items.size(); ++i) {\n  total += items[i].price * items[i].qty;\n}\n",
    "const result = await fetch(`/api/v1/users/${id}`).then((r) => r.json());\n",
    "SELECT name, COUNT(*) AS n FROM orders WHERE created_at > '2024-01-01' GROUP BY name;\n",
    "#include <vector>\nint main() { std::vector<int> v{1, 2, 3}; return v.size() == 3 ? 0 : 1; }\n",
    "if err != nil {\n\treturn fmt.Errorf(\"open %s: %w\", path, err)\n}\n",
    "<div class=\"card\"><h2>{{ title }}</h2><p>{{ body | truncate(80) }}</p></div>\n"};
inline const std::vector<std::string> kAccented = {
    "Le café de la gare est fermé à cause des grèves, désolé pour ce contretemps.",
    "Die Straßenbahn fährt über die Brücke nach Köln, während es draußen schneit.",
    "El niño comió paella en la playa de Málaga con su abuela y sus tíos.",
    "A exposição de arte contemporânea começa amanhã às dezoito horas em São Paulo.",
    "Tiếng Việt có nhiều dấu thanh khác nhau, ví dụ như sắc, huyền, hỏi, ngã, nặng.",
    "Crème brûlée, façade, naïve, coöperate, résumé, jalapeño, smörgåsbord, Ærøskøbing.",
    "Čeština a polština používají znaky jako ř, ž, ł, ś a ę v běžném textu."};
inline const std::vector<std::string> kCjk = {
    "今天的天气非常好，我们去公园散步吧。", "人工智能正在改变我们的生活和工作方式。",
    "東京の桜は三月下旬から四月上旬にかけて満開になります。", "この文章は日本語のテストです。カタカナとひらがなと漢字。",
    "北京是中国的首都，有着悠久的历史和文化。", "会議は明日の午後三時に変更されました。"};
inline const std::vector<std::string> kKorean = {
    "안녕하세요, 오늘 회의는 오후 세 시로 변경되었습니다.", "한국어 형태소 분석은 생각보다 어렵습니다.",
    "서울의 지하철은 매우 편리하고 깨끗합니다.", "이메일을 확인하시고 회신 부탁드립니다. 감사합니다!"};
inline const std::vector<std::string> kEmoji = {"🎉", "😀", "👍🏽", "🚀", "❤️", "🇫🇷", "👨‍👩‍👧‍👦", "🤖", "☕", "🔥", "✅"};

inline std::string number(CorpusRng& rng) {
  switch (rng.below(5)) {
    case 0: return std::to_string(rng.below(100000));
    case 1: return std::to_string(rng.below(10000)) + "." + std::to_string(rng.below(100));
    // Appending (not "literal" + std::string) sidesteps GCC 12's -Wrestrict false positive.
    case 2: return std::string("$").append(std::to_string(rng.below(1000))).append(",").append(std::to_string(100 + rng.below(900)));
    case 3: return std::string("+1 (555) ").append(std::to_string(100 + rng.below(900))).append("-").append(std::to_string(1000 + rng.below(9000)));
    default: return std::to_string(1990 + rng.below(40)) + "-0" + std::to_string(1 + rng.below(9)) + "-1" + std::to_string(rng.below(10));
  }
}

inline std::string fill_numbers(std::string text, CorpusRng& rng) {
  for (size_t at; (at = text.find("{N}")) != std::string::npos;) text.replace(at, 3, std::to_string(rng.below(1000)));
  return text;
}

// Made-up words (names, jargon, typos) keep the vocabulary open-ended, as in real text, so
// word caches do not see only a few dozen distinct words.
inline std::string rare_word(CorpusRng& rng) {
  static const std::vector<std::string> syllables = {"ka", "lor", "vin", "dex", "tra", "mo", "quil", "ze",
                                                     "ph", "ert", "so", "nab", "ix", "gru", "el", "st"};
  std::string word;
  for (size_t i = 0, n = 2 + rng.below(3); i < n; ++i) word += rng.pick(syllables);
  return word;
}

inline std::string prose(CorpusRng& rng, size_t words) {
  std::string out;
  for (size_t i = 0; i < words; ++i) {
    std::string word = rng.below(6) == 0 ? rare_word(rng) : rng.pick(kEnglishWords);
    if (i == 0 || out.back() == '.') word[0] = static_cast<char>(word[0] - 'a' + 'A');
    if (!out.empty()) out += ' ';
    out += word;
    if (rng.below(12) == 0) out += rng.below(2) ? "." : ",";
  }
  return out + ".";
}

inline std::string email(CorpusRng& rng) {
  std::string from = rng.pick(kNames), to = rng.pick(kNames);
  std::string out = "From: " + from + " <" + from + ".smith@example.com>\nTo: " + to + "\nSubject: " +
                    prose(rng, 3 + rng.below(5)) + "\n\nHi " + to + ",\n\n";
  for (size_t i = 0, n = 1 + rng.below(4); i < n; ++i) out += fill_numbers(rng.pick(kEmailBodies), rng) + " ";
  if (rng.below(3) == 0) out += rng.pick(kEmoji);
  return out + "\n\nBest regards,\n" + from;
}

inline std::string numbers(CorpusRng& rng) {
  std::string out = "id,amount,date,phone\n";
  for (size_t i = 0, n = 3 + rng.below(12); i < n; ++i)
    out += std::to_string(i) + "," + number(rng) + "," + number(rng) + "," + number(rng) + "\n";
  return out;
}

inline std::string sentences(CorpusRng& rng, const std::vector<std::string>& pool, size_t n, const char* separator) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += separator;
    out += rng.pick(pool);
  }
  return out;
}

inline std::string emoji_chat(CorpusRng& rng) {
  std::string out;
  for (size_t i = 0, n = 2 + rng.below(6); i < n; ++i) {
    out += prose(rng, 3 + rng.below(8)) + " " + rng.pick(kEmoji) + rng.pick(kEmoji) + " ";
    if (rng.below(3) == 0) out += rng.pick(kKorean) + " ";
  }
  return out;
}

}  // namespace corpus_detail

// Documents until their total size reaches `target_bytes`.
inline std::vector<std::string> mixed_corpus(size_t target_bytes, uint64_t seed = 42) {
  using namespace corpus_detail;
  CorpusRng rng(seed);
  std::vector<std::string> docs;
  size_t total = 0;
  while (total < target_bytes) {
    std::string doc;
    switch (rng.below(10)) {
      case 0: case 1: case 2: doc = prose(rng, 20 + rng.below(300)); break;
      case 3: case 4: doc = email(rng); break;
      case 5: doc = sentences(rng, kCode, 1 + rng.below(5), "\n"); break;
      case 6: doc = numbers(rng); break;
      case 7: doc = sentences(rng, kAccented, 1 + rng.below(8), " "); break;
      case 8: doc = sentences(rng, kCjk, 1 + rng.below(10), "") + " " + sentences(rng, kKorean, 1 + rng.below(5), " "); break;
      default: doc = emoji_chat(rng); break;
    }
    total += doc.size();
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace lmpipe::bench
