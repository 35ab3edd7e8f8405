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

    /// Phrasings that try to override the system prompt, as case-insensitive regular expressions,
    /// each with words one of which any match contains (lower case).
    static let injectionPatterns: [(name: String, pattern: String, words: [String])] = [
        ("ignore previous instructions", #"\b(ignore|disregard|forget)\b.{0,30}\b(previous|prior|above|earlier|all|your)\b.{0,20}\b(instructions|prompts?|rules|directions)\b"#, ["ignore", "disregard", "forget"]),
        ("reveal the system prompt", #"\b(reveal|show|print|repeat|output)\b.{0,30}\b(system prompt|hidden instructions|initial instructions)\b"#, ["system prompt", "hidden instructions", "initial instructions"]),
        ("role override", #"\byou are now\b.{0,40}\b(DAN|jailbroken|developer mode|unrestricted|no (rules|restrictions))\b"#, ["you are now"]),
        ("fake system message", #"(<\|?(system|im_start)\|?>|^\s*#{2,}\s*(system|instruction)s?\s*:?)"#, ["system", "im_start", "instruction"]),
    ]

    struct Pattern {
        let name: String
        let regex: NSRegularExpression
        let words: [[UInt8]]
    }

    /// The patterns are constants: one that does not compile is a programming error, caught by
    /// the test that counts them (`ContentChecksTests.everyPatternCompiles`).
    static let compiled: [Pattern] = injectionPatterns.compactMap { entry in
        (try? NSRegularExpression(pattern: entry.pattern, options: [.caseInsensitive, .anchorsMatchLines])).map {
            Pattern(name: entry.name, regex: $0, words: entry.words.map { Array($0.utf8) })
        }
    }

    /// Checks a user message against `maxLength` characters.
    public static func check(input: String, maxLength: Int) -> Input {
        let cleaned = stripControlCharacters(input)
        // Regular expressions are costly; in plain ASCII text a pattern can only match where one of
        // its words occurs, so the expression runs only then (other text is always searched).
        let ascii = cleaned.utf8.allSatisfy { $0 < 0x80 }
        let lowered = ascii ? cleaned.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } : []
        let range = NSRange(cleaned.startIndex..., in: cleaned)
        let flags = compiled.filter { pattern in
            guard !ascii || pattern.words.contains(where: { occurs($0, in: lowered) }) else { return false }
            return pattern.regex.firstMatch(in: cleaned, range: range) != nil
        }.map(\.name)
        // A string's characters never outnumber its UTF-8 bytes: count them only when it may matter.
        let length = cleaned.utf8.count > maxLength ? cleaned.count : 0
        let refusal: String? =
            if length > maxLength {
                "Your message is too long (\(length) characters; the limit is \(maxLength)). Please shorten it or send it in parts."
            } else if cleaned.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                // Nothing a model could answer: no provider is asked (nor paid).
                "Your message is empty once invisible characters are taken out. Please write some text."
            } else {
                nil
            }
        return Input(text: cleaned, flags: flags, refusal: refusal)
    }

    /// Whether `word` occurs in `text` (bytes; a plain scan: the words are short and so are most
    /// messages, and the standard library's generic search costs more than the search itself).
    static func occurs(_ word: [UInt8], in text: [UInt8]) -> Bool {
        guard let first = word.first, word.count <= text.count else { return word.isEmpty }
        return text.withUnsafeBufferPointer { text in
            word.withUnsafeBufferPointer { word in
                var start = 0
                while start <= text.count - word.count {
                    if text[start] == first {
                        var matched = 1
                        while matched < word.count && text[start + matched] == word[matched] { matched += 1 }
                        if matched == word.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }

    /// The text without C0/C1 control characters (tab and newline kept), bidirectional controls
    /// and invisible characters (see ``isStripped(_:)``).
    public static func stripControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isStripped) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !isStripped(scalar) { scalars.append(scalar) }
        return String(scalars)
    }

    /// Control characters (but tab and newline), bidirectional overrides, isolates and marks (they
    /// reorder or hide text from a reader), zero-width spaces, word joiners and byte-order marks.
    /// The zero-width joiner and non-joiner stay: emoji sequences and several scripts need them.
    static func isStripped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: false
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200B, 0x200E, 0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069: true
        case 0x061C, 0x180E, 0xFEFF: true
        default: false
        }
    }

    /// Whether an answer should be generated again: empty, or its tail one phrase over and over.
    public static func needsRegeneration(_ answer: String) -> Bool {
        guard let last = answer.unicodeScalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return true }
        return isRunaway(answer.unicodeScalars[...last])
    }

    /// A phrase of 4…200 characters repeated at least `runawayRepeats` times at the end.
    static let runawayRepeats = 6

    static func isRunaway(_ text: Substring.UnicodeScalarView) -> Bool {
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
