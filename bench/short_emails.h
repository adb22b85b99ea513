#pragma once
// Short, realistic emails (10-25 words) for the zero-shot benchmark, built deterministically
// from hand-written parts so there are as many distinct texts as asked for.
#include <cctype>
#include <string>
#include <vector>

namespace lmpipe::bench {

inline std::vector<std::string> short_emails(size_t count) {
  static const std::vector<std::string> openers = {
      "Hi Sarah,", "Hello team,", "Dear customer,", "Hey Mike,", "Good morning,", "Hi all,", "Dear Dr. Patel,", ""};
  static const std::vector<std::string> bodies = {
      "the quarterly report is attached, please review the revenue numbers before Friday's meeting.",
      "congratulations, you have been selected to win a free iPhone, click the link to claim it now.",
      "can we move tomorrow's standup to 10am? I have a dentist appointment early in the morning.",
      "your package has shipped and should arrive on Thursday, track it with the number below.",
      "limited offer: lose 20 pounds in two weeks with this miracle pill, order today and save 50%.",
      "the flight to Lisbon is confirmed for March 3rd, I booked the hotel near the conference center.",
      "mom says dinner is at 7 on Sunday, bring the kids and that lemon cake you made last time.",
      "your account has been suspended due to unusual activity, verify your password here immediately.",
      "the build is failing on main since last night, could you take a look at the flaky test?",
      "reminder that your annual physical is scheduled for next Tuesday at 9:30 with Dr. Lee.",
      "we are excited to invite you to our webinar on cloud security best practices next week.",
      "I transferred the rent for October, let me know when it shows up in your account.",
      "earn $5000 a week working from home, no experience needed, reply now to get started.",
      "the final grades for the statistics course are now posted on the student portal.",
      "urgent: the client wants the contract signed by end of day, please send your comments."};
  static const std::vector<std::string> closers = {"Thanks, Anna", "Best, Tom", "Cheers!", "Regards, IT Support",
                                                   "See you soon.", ""};
  std::vector<std::string> emails;
  for (size_t i = 0; emails.size() < count; ++i) {
    std::string text = openers[(i * 3) % openers.size()];
    std::string body = bodies[i % bodies.size()];
    if (text.empty()) body[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(body[0])));
    text += (text.empty() ? "" : " ") + body;
    const std::string& closer = closers[(i * 5 + i / bodies.size()) % closers.size()];
    if (!closer.empty()) text += " " + closer;
    emails.push_back(std::move(text));
  }
  return emails;
}

}  // namespace lmpipe::bench
