import Foundation

/// Checks on what goes to a model and what comes back.
///
/// In: control characters are stripped (bidirectional overrides too: they hide text from a
/// reader), messages over the configured length are refused with a clear reason, and known
/// prompt-injection phrasings are flagged for the error log (not blocked: a user may quote one).
/// Out: an empty answer, or one stuck repeating itself, is regenerated once.
public enum ContentChecks {
    /// The result of checking one user message.
    public struct Input: Sendable, Hashable {
        /// The message with control characters removed.
        public var text: String
        /// Injection patterns found, by name.
        public var flags: [String]
        /// Why the message cannot be sent, if it cannot.
        public var refusal: String?
    }

    /// Phrasings that try to override the system prompt, as case-insensitive regular expressions.
    static let injectionPatterns: [(name: String, pattern: String)] = [
        ("ignore previous instructions", #"\b(ignore|disregard|forget)\b.{0,30}\b(previous|prior|above|earlier|all|your)\b.{0,20}\b(instructions|prompts?|rules|directions)\b"#),
        ("reveal the system prompt", #"\b(reveal|show|print|repeat|output)\b.{0,30}\b(system prompt|hidden instructions|initial instructions)\b"#),
        ("role override", #"\byou are now\b.{0,40}\b(DAN|jailbroken|developer mode|unrestricted|no (rules|restrictions))\b"#),
        ("fake system message", #"(<\|?(system|im_start)\|?>|^\s*#{2,}\s*(system|instruction)s?\s*:?)"#),
    ]

    static let compiled: [(name: String, regex: NSRegularExpression)] = injectionPatterns.compactMap { entry in
        (try? NSRegularExpression(pattern: entry.pattern, options: [.caseInsensitive, .anchorsMatchLines])).map { (entry.name, $0) }
    }

    /// Checks a user message against `maxLength` characters.
    public static func check(input: String, maxLength: Int) -> Input {
        let cleaned = stripControlCharacters(input)
        let range = NSRange(cleaned.startIndex..., in: cleaned)
        let flags = compiled.filter { $0.regex.firstMatch(in: cleaned, range: range) != nil }.map(\.name)
        let refusal = cleaned.count > maxLength
            ? "Your message is too long (\(cleaned.count) characters; the limit is \(maxLength)). Please shorten it or send it in parts."
            : nil
        return Input(text: cleaned, flags: flags, refusal: refusal)
    }

    /// The text without C0/C1 control characters (tab and newline kept) and bidirectional overrides.
    public static func stripControlCharacters(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A: scalars.append(scalar)
            case 0x0D: continue
            case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: continue
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// Whether an answer should be generated again: empty, or its tail one phrase over and over.
    public static func needsRegeneration(_ answer: String) -> Bool {
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty || isRunaway(trimmed)
    }

    /// A phrase of 4…200 characters repeated at least `runawayRepeats` times at the end.
    static let runawayRepeats = 6

    static func isRunaway(_ text: String) -> Bool {
        let characters = Array(text.suffix(1_200))
        guard characters.count >= 4 * runawayRepeats else { return false }
        for period in 4...min(200, characters.count / runawayRepeats) {
            let start = characters.count - period * runawayRepeats
            guard start >= 0 else { break }
            var repeating = true
            for index in start..<(characters.count - period) where characters[index] != characters[index + period] {
                repeating = false
                break
            }
            if repeating { return true }
        }
        return false
    }
}
