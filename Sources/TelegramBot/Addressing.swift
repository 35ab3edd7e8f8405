import Foundation

/// Whom a group message speaks to: a command (for this bot or another: `/help@otherbot`), a
/// mention of the bot as a whole word (`@bot`, not `@bot_fan` or `me@bot.example`).
struct Addressing: Sendable, Hashable {
    enum Command: Sendable, Hashable {
        /// `/command` or `/command@thisbot`.
        case forThisBot
        /// `/command@otherbot`: Telegram shows it to every bot in the group; only that one answers.
        case otherBot
    }

    let command: Command?
    let mentionsBot: Bool
    /// The text with the bot's mentions and a command's `@thisbot` suffix taken out.
    let textWithoutMentions: String

    init(text: String, botUsername: String) {
        let name = botUsername.lowercased()
        var cleaned = text
        if text.hasPrefix("/") {
            let word = text.prefix { !$0.isWhitespace }
            if let at = word.firstIndex(of: "@") {
                let target = word[word.index(after: at)...].lowercased()
                command = !name.isEmpty && target == name ? .forThisBot : .otherBot
                cleaned = String(word[..<at]) + text[word.endIndex...]
            } else {
                command = .forThisBot
            }
        } else {
            command = nil
        }
        let ranges = name.isEmpty ? [] : Self.mentions(of: name, in: cleaned)
        mentionsBot = !ranges.isEmpty
        for range in ranges.reversed() { cleaned.removeSubrange(range) }
        textWithoutMentions = cleaned.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Where `@name` stands as a whole mention: not inside a word or an address before it, and
    /// not followed by more of a username or a domain (`@bot.example`; a sentence's full stop is fine).
    static func mentions(of name: String, in text: String) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        var start = text.startIndex
        while let range = text.range(of: "@" + name, options: .caseInsensitive, range: start..<text.endIndex) {
            start = range.upperBound
            if range.lowerBound > text.startIndex, isPartOfName(text[text.index(before: range.lowerBound)]) { continue }
            let rest = text[range.upperBound...]
            if let next = rest.first, isPartOfName(next) { continue }
            if rest.first == ".", let afterDot = rest.dropFirst().first, isPartOfName(afterDot) { continue }
            found.append(range)
        }
        return found
    }

    private static func isPartOfName(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_" || character == "@"
    }
}
