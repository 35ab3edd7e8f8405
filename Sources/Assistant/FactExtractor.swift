import Foundation

/// Key facts worth remembering from a user's message: their name, preferences, projects, and
/// anything they ask to be remembered. Rule-based and conservative: a missed fact costs less than
/// a wrong one in every later answer.
public enum FactExtractor {
    /// Facts kept per conversation; the oldest go first.
    public static let limit = 20

    static let rules: [(label: String, pattern: String)] = [
        // Case matters for the name itself (capitalised words), not for the phrase before it.
        ("Name", #"\b(?i:my name is|call me|i am called|i'm called)\s+(\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+)?)"#),
        ("Remember", #"\b(?:please\s+)?remember(?: that)?\s+(.{3,160}?)(?:[.!?]|$)"#),
        ("Likes", #"\bi (?:really )?(?:like|love|prefer|enjoy)\s+(.{2,80}?)(?:[.!?,]|$)"#),
        ("Dislikes", #"\bi (?:really )?(?:don't like|do not like|hate|dislike)\s+(.{2,80}?)(?:[.!?,]|$)"#),
        ("Works on", #"\bi(?:'m| am) (?:working on|building|writing|developing)\s+(.{3,100}?)(?:[.!?]|$)"#),
        ("Project", #"\bmy (?:project|app|startup|company|thesis|book) (?:is called|called|is)\s+(.{2,100}?)(?:[.!?]|$)"#),
        ("Lives in", #"\bi live in\s+([\p{L}][\p{L} '-]{1,40}?)(?:[.!?,]|$)"#),
        ("Works as", #"\bi(?:'m| am) an? ([\p{L} -]{3,40}?(?:developer|engineer|designer|teacher|student|doctor|manager|writer|scientist|nurse|lawyer|artist))\b"#),
    ]

    /// The rules are constants: one that does not compile is a programming error, caught by the
    /// test that counts them (`FactExtractorTests.everyRuleCompiles`).
    static let compiled: [(label: String, regex: NSRegularExpression)] = rules.compactMap { rule in
        (try? NSRegularExpression(pattern: rule.pattern, options: rule.label == "Name" ? [] : [.caseInsensitive])).map { (rule.label, $0) }
    }

    /// Facts stated in `message`, as "Label: value" lines.
    public static func facts(in message: String) -> [String] {
        let range = NSRange(message.startIndex..., in: message)
        var found: [String] = []
        for rule in compiled {
            for match in rule.regex.matches(in: message, range: range) {
                guard match.numberOfRanges > 1, let valueRange = Range(match.range(at: 1), in: message) else { continue }
                let value = message[valueRange].trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
                guard !value.isEmpty else { continue }
                found.append("\(rule.label): \(value)")
            }
        }
        return found
    }

    /// `existing` with `new` merged in: a newer value replaces an older one of the same label for
    /// single-valued labels (Name, Lives in, Works as); the list keeps its newest ``limit`` facts.
    public static func merge(_ existing: [String], _ new: [String]) -> [String] {
        let singleValued: Set<String> = ["Name", "Lives in", "Works as"]
        var facts = existing
        for fact in new {
            let label = fact.split(separator: ":").first.map(String.init) ?? ""
            if singleValued.contains(label) { facts.removeAll { $0.hasPrefix(label + ":") } }
            facts.removeAll { $0.lowercased() == fact.lowercased() }
            facts.append(fact)
        }
        return Array(facts.suffix(limit))
    }
}
