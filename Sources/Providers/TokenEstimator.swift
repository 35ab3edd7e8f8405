/// A tokenizer family: how a model cuts text into tokens.
public enum TokenEncoding: String, Sendable, Hashable, CaseIterable {
    /// GPT-4, GPT-4 Turbo, GPT-3.5 Turbo.
    case cl100k = "cl100k_base"
    /// GPT-4o and later.
    case o200k = "o200k_base"
    /// Claude models. Anthropic publishes no tokenizer; the real counts come back in `usage`, and
    /// until then the cl100k coefficients are used, which count high rather than low.
    case anthropic

    /// The family of a model, by its id (letter case aside).
    ///
    /// Compared byte by byte: the router asks for every model it weighs on every request, and
    /// lower-casing the id and matching it prefix by prefix as `String`s cost more than the rest
    /// of a model's checks.
    public static func of(model: String) -> TokenEncoding {
        var model = model
        return model.withUTF8 { id in
            func starts(with prefix: StaticString) -> Bool {
                let count = prefix.utf8CodeUnitCount
                guard id.count >= count else { return false }
                for index in 0..<count {
                    let byte = id[index]
                    let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                    if lowered != prefix.utf8Start[index] { return false }
                }
                return true
            }
            if starts(with: "claude") { return .anthropic }
            if starts(with: "gpt-4o") || starts(with: "gpt-4.1") || starts(with: "gpt-5") || starts(with: "o1") || starts(with: "o3") || starts(with: "o4") || starts(with: "chatgpt-4o") {
                return .o200k
            }
            return .cl100k
        }
    }
}

/// Estimates tokens before a call (context fitting, budget reservations) without a tokenizer.
///
/// Text is split into features — Latin words and their length, accented letters, digit groups,
/// Cyrillic words and letters, CJK characters, emoji, punctuation, newlines — and each family
/// weighs them with coefficients fitted (non-negative least squares, relative error) to the exact
/// counts of 200 texts in `shared/reference/token-counts.jsonl`. Mean absolute error per kind of
/// text on that set (the test `TokenEstimatorTests` holds it to these bounds):
///
/// | kind            | cl100k | o200k |
/// |-----------------|--------|-------|
/// | English         |  4.5 % |  3.6 % |
/// | long English    |  2.6 % |  1.7 % |
/// | Russian         |  5.0 % |  6.2 % |
/// | Chinese         |  6.6 % |  6.3 % |
/// | Spanish         |  9.2 % |  3.9 % |
/// | emoji mixes     |  6.4 % |  5.5 % |
/// | Swift-like code |  8.5 % (low) |  7.7 % (low) |
/// | JSON            |  3.4 % |  2.1 % |
/// | numbers         |  3.2 % |  3.2 % |
/// | Markdown        |  5.0 % (high) |  4.5 % (high) |
///
/// Single short texts can be off by up to about 40 %; reservations add ``safetyMargin``.
/// Scripts absent from the set (Arabic, Greek, Hebrew, Devanagari…) count one token per
/// character (cl100k) or half that (o200k), an unfitted, deliberately high guess.
public enum TokenEstimator {
    struct Coefficients {
        var word, longWordLetter, accentedLetter, digitGroup, cyrillicWord, cyrillicLetter: Double
        var newline, punctuation, cjk, emoji, emojiModifier, other: Double
    }

    static let cl100k = Coefficients(
        word: 0.970, longWordLetter: 0.117, accentedLetter: 1.093, digitGroup: 1.491, cyrillicWord: 0, cyrillicLetter: 0.552,
        newline: 0.869, punctuation: 0.689, cjk: 1.163, emoji: 2.272, emojiModifier: 1.047, other: 1.0)
    static let o200k = Coefficients(
        word: 1.006, longWordLetter: 0, accentedLetter: 0.105, digitGroup: 1.491, cyrillicWord: 0.474, cyrillicLetter: 0.121,
        newline: 0.777, punctuation: 0.700, cjk: 0.611, emoji: 1.441, emojiModifier: 0.803, other: 0.5)

    /// Tokens a chat format adds per message (role and separators), as OpenAI documents.
    public static let perMessageOverhead = 4
    /// Tokens that prime the assistant's reply.
    public static let replyPriming = 3
    /// Factor applied where underestimating costs money (budget reservations).
    public static let safetyMargin = 1.15

    /// Words longer than this cost extra tokens per letter.
    static let shortWordLength = 6
    /// Digits are tokenized in groups of up to three.
    static let digitGroupLength = 3

    /// The estimated tokens of `text` under `encoding`.
    public static func tokens(in text: String, encoding: TokenEncoding) -> Int {
        guard !text.isEmpty else { return 0 }
        return tokens(Features(text), encoding: encoding)
    }

    /// The estimated prompt tokens of a conversation under every family, reading the text once.
    public static func promptTokensByEncoding(_ contents: [String]) -> [TokenEncoding: Int] {
        var totals = Dictionary(uniqueKeysWithValues: TokenEncoding.allCases.map { ($0, replyPriming) })
        for content in contents {
            let features = Features(content)
            for encoding in TokenEncoding.allCases {
                totals[encoding, default: 0] += (content.isEmpty ? 0 : tokens(features, encoding: encoding)) + perMessageOverhead
            }
        }
        return totals
    }

    static func tokens(_ f: Features, encoding: TokenEncoding) -> Int {
        let c = encoding == .o200k ? o200k : cl100k
        let total = c.word * Double(f.words) + c.longWordLetter * Double(f.longWordLetters) + c.accentedLetter * Double(f.accentedLetters)
            + c.digitGroup * Double(f.digitGroups) + c.cyrillicWord * Double(f.cyrillicWords) + c.cyrillicLetter * Double(f.cyrillicLetters)
            + c.newline * Double(f.newlines) + c.punctuation * Double(f.punctuation) + c.cjk * Double(f.cjk)
            + c.emoji * Double(f.emoji) + c.emojiModifier * Double(f.emojiModifiers) + c.other * Double(f.other)
        return max(1, Int(total.rounded()))
    }

    /// The estimated prompt tokens of a conversation.
    public static func promptTokens(_ contents: [String], encoding: TokenEncoding) -> Int {
        contents.reduce(replyPriming) { $0 + tokens(in: $1, encoding: encoding) + perMessageOverhead }
    }

    /// Feature counts of a text, in one pass over its Unicode scalars.
    struct Features {
        var words = 0, longWordLetters = 0, accentedLetters = 0, digitGroups = 0
        var cyrillicWords = 0, cyrillicLetters = 0, newlines = 0, punctuation = 0
        var cjk = 0, emoji = 0, emojiModifiers = 0, other = 0

        enum Run { case none, latin, digit, cyrillic }

        init(_ text: String) {
            var run = Run.none
            var length = 0
            func flush() {
                switch run {
                case .latin:
                    words += 1
                    longWordLetters += max(0, length - TokenEstimator.shortWordLength)
                case .digit:
                    digitGroups += (length + TokenEstimator.digitGroupLength - 1) / TokenEstimator.digitGroupLength
                case .cyrillic:
                    cyrillicWords += 1
                    cyrillicLetters += length
                case .none:
                    break
                }
                run = .none
                length = 0
            }
            for scalar in text.unicodeScalars {
                let value = scalar.value
                // ASCII letters are known without the Unicode property tables (most text is ASCII).
                let isLetter = value < 0x80 ? (value | 0x20) &- 0x61 < 26 : scalar.properties.isAlphabetic
                let kind: Run =
                    if isLetter && value < 0x250 { .latin }
                    else if value >= 0x30 && value <= 0x39 { .digit }
                    else if isLetter && value >= 0x400 && value <= 0x4FF { .cyrillic }
                    else { .none }
                if kind != run { flush() }
                if kind != .none {
                    if kind == .latin && value >= 0x80 { accentedLetters += 1 }
                    run = kind
                    length += 1
                    continue
                }
                switch value {
                case 0x0A: newlines += 1
                case 0x20, 0x09, 0x0D: break  // spaces merge into the following token
                case 0x00..<0x80: punctuation += 1
                case 0x3000...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xFF00...0xFFEF: cjk += 1
                case 0x1F000...0x1FAFF, 0x2600...0x27BF: emoji += 1  // skin tones included, as fitted
                case 0x200D, 0xFE0F: emojiModifiers += 1
                default: other += 1
                }
            }
            flush()
        }
    }
}

extension TokenUsage {
    /// Usage estimated locally for a server that reported none (marked so): the estimator the
    /// Gateway budgets with, so an estimated cost agrees with the reservation made for it.
    public static func estimated(for request: ChatRequest, answer: String) -> TokenUsage {
        let encoding = TokenEncoding.of(model: request.model)
        return TokenUsage(
            promptTokens: TokenEstimator.promptTokens(request.messages.map(\.content), encoding: encoding),
            outputTokens: TokenEstimator.tokens(in: answer, encoding: encoding), isEstimated: true)
    }
}
