import Foundation

/// Turns a model's Markdown into Telegram HTML, and long answers into several messages.
///
/// HTML is the parse mode an LLM's output can be made safe for: only `b i s u code pre a
/// blockquote` are produced, everything else is escaped (`<`, `>`, `&`), and every tag opened is
/// closed, also for unbalanced input (an unclosed fence becomes a code block to the end; an
/// emphasis marker without its partner stays a literal character).
public enum TelegramFormatter {
    /// Telegram's limit on a message's text after entity parsing, in UTF-16 code units (what
    /// Telegram counts: an emoji is two, a flag four).
    public static let messageLimit = 4_096

    /// The length Telegram measures a text by.
    static func length(_ text: some StringProtocol) -> Int { text.utf16.count }

    /// Telegram HTML for `markdown`.
    public static func html(_ markdown: String) -> String {
        var output: [String] = []
        var lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)[...]
        var quote: [String] = []

        func flushQuote() {
            guard !quote.isEmpty else { return }
            output.append("<blockquote>" + quote.joined(separator: "\n") + "</blockquote>")
            quote.removeAll()
        }

        while let line = lines.first {
            lines = lines.dropFirst()
            let trimmed = line.trimmingLeadingSpaces()
            if trimmed.hasPrefix("```") {
                flushQuote()
                let language = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces).filter { $0.isLetter || $0.isNumber || "+-#_.".contains($0) }
                var code: [Substring] = []
                while let next = lines.first, !next.trimmingLeadingSpaces().hasPrefix("```") {
                    code.append(next)
                    lines = lines.dropFirst()
                }
                lines = lines.dropFirst()  // the closing fence, if there is one
                let body = escape(code.joined(separator: "\n"))
                output.append(language.isEmpty ? "<pre>\(body)</pre>" : "<pre><code class=\"language-\(language)\">\(body)</code></pre>")
                continue
            }
            if trimmed.hasPrefix(">") {
                quote.append(inline(trimmed.dropFirst().trimmingLeadingSpaces()))
                continue
            }
            flushQuote()
            if let heading = headingText(trimmed) {
                output.append("<b>" + inline(heading) + "</b>")
            } else if let item = listItem(trimmed) {
                let indent = String(repeating: "  ", count: (line.count - trimmed.count) / 2)
                output.append(indent + item.marker + inline(item.text))
            } else {
                output.append(inline(line))
            }
        }
        flushQuote()
        return output.joined(separator: "\n")
    }

    /// The same text without Markdown markers: the fallback when Telegram "can't parse entities",
    /// so the user never sees raw `**`.
    public static func plain(_ markdown: String) -> String {
        var text = markdown
        for marker in ["```", "**", "__", "~~", "`"] { text = text.replacingOccurrences(of: marker, with: "") }
        return text
    }

    /// The answer as Telegram HTML messages, each within ``messageLimit`` characters: split at
    /// paragraph, then line, then word boundaries; a code block split in two is closed and
    /// reopened with its language, so no message has a broken tag or fence.
    public static func messages(_ markdown: String, limit: Int = messageLimit) -> [String] {
        chunks(markdown, limit: limit).map(html)
    }

    /// The Markdown pieces `messages` formats. Measured in the raw text's UTF-16 code units, which
    /// are never fewer than Telegram counts after parsing (markers vanish, entities count as one).
    public static func chunks(_ markdown: String, limit: Int = messageLimit) -> [String] {
        guard length(markdown) > limit else { return [markdown] }
        var pieces: [String] = []
        var current = ""
        func push(_ block: String) {
            if current.isEmpty {
                current = block
            } else if length(current) + 2 + length(block) <= limit {
                current += "\n\n" + block
            } else {
                pieces.append(current)
                current = block
            }
        }
        for block in blocks(markdown) {
            if length(block) <= limit {
                push(block)
            } else {
                for part in splitLarge(block, limit: limit) { push(part) }
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Paragraphs (split at blank lines) with fenced code blocks kept whole.
    static func blocks(_ markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring] = []
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingLeadingSpaces().hasPrefix("```") { inFence.toggle() }
            if !inFence && line.trimmingCharacters(in: .whitespaces).isEmpty && !line.trimmingLeadingSpaces().hasPrefix("```") {
                if !current.isEmpty { blocks.append(current.joined(separator: "\n")) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { blocks.append(current.joined(separator: "\n")) }
        return blocks
    }

    /// A block over the limit, cut at lines (code blocks re-fenced on every piece), then words.
    static func splitLarge(_ block: String, limit: Int) -> [String] {
        let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let fence = lines.first.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.hasPrefix("```") ? $0 : nil }
        var body = lines
        if fence != nil {
            body.removeFirst()
            if body.last?.trimmingCharacters(in: .whitespaces).hasPrefix("```") == true { body.removeLast() }
        }
        let wrap: (String) -> String = { piece in fence.map { "\($0)\n\(piece)\n```" } ?? piece }
        let room = limit - (fence.map { length($0) + 5 } ?? 0)
        var pieces: [String] = []
        var current = ""
        for line in body.flatMap({ length($0) > room ? hardSplit($0, limit: room) : [$0] }) {
            if current.isEmpty {
                current = line
            } else if length(current) + 1 + length(line) <= room {
                current += "\n" + line
            } else {
                pieces.append(wrap(current))
                current = line
            }
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(wrap(current)) }
        return pieces
    }

    /// A line longer than `limit`, cut at spaces where it can be, else at the last whole
    /// character (grapheme) that fits: an emoji or a flag is never cut in half.
    static func hardSplit(_ line: String, limit: Int) -> [String] {
        var pieces: [String] = []
        var rest = Substring(line)
        while length(rest) > limit {
            // The longest run of whole characters within `limit` units (at least one, so a
            // single absurd grapheme still moves on).
            var end = rest.startIndex
            var units = 0
            for index in rest.indices {
                let size = rest[index].utf16.count
                guard units + size <= limit || end == rest.startIndex else { break }
                units += size
                end = rest.index(after: index)
                if units >= limit { break }
            }
            let window = rest[..<end]
            let cut = window.lastIndex(of: " ").map { rest.index(after: $0) } ?? window.endIndex
            pieces.append(String(rest[..<cut]).trimmingCharacters(in: .whitespaces))
            rest = rest[cut...]
        }
        if !rest.isEmpty { pieces.append(String(rest)) }
        return pieces
    }

    // MARK: - Blocks

    static func headingText(_ line: Substring) -> Substring? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return line.dropFirst(hashes + 1)
    }

    static func listItem(_ line: Substring) -> (marker: String, text: Substring)? {
        if let first = line.first, "-*+".contains(first), line.dropFirst().first == " " {
            return ("• ", line.dropFirst(2))
        }
        let digits = line.prefix { $0.isNumber }
        if !digits.isEmpty, digits.count <= 3, line.dropFirst(digits.count).hasPrefix(". ") {
            return ("\(digits). ", line.dropFirst(digits.count + 2))
        }
        return nil
    }

    // MARK: - Inline

    /// Inline Markdown (code, bold, italic, strike, links) to HTML, escaping everything else.
    static func inline(_ text: Substring) -> String {
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("`"), let end = rest.dropFirst().firstIndex(of: "`") {
                output += "<code>" + escape(text[text.index(after: index)..<end]) + "</code>"
                index = text.index(after: end)
                continue
            }
            if let (tag, delimiter) = [("b", "**"), ("b", "__"), ("s", "~~")].first(where: { rest.hasPrefix($0.1) }),
                let (inner, after) = span(rest, delimiter: delimiter)
            {
                output += "<\(tag)>" + inline(inner) + "</\(tag)>"
                index = after
                continue
            }
            if let first = rest.first, first == "*" || first == "_", canOpen(text, at: index),
                let (inner, after) = span(rest, delimiter: String(first)), first == "*" || canClose(text, before: after)
            {
                output += "<i>" + inline(inner) + "</i>"
                index = after
                continue
            }
            if rest.hasPrefix("["), let link = link(rest) {
                output += "<a href=\"\(escape(link.url, quotes: true))\">" + inline(link.label) + "</a>"
                index = link.after
                continue
            }
            output += escape(text[index...index])
            index = text.index(after: index)
        }
        return output
    }

    /// The text between `delimiter` at the start of `text` and its next occurrence, if non-empty
    /// and not starting or ending with a space (so `2 * 3 * 4` stays arithmetic).
    static func span(_ text: Substring, delimiter: String) -> (Substring, Substring.Index)? {
        let start = text.index(text.startIndex, offsetBy: delimiter.count)
        guard start < text.endIndex, text[start] != " " else { return nil }
        var search = start
        while let range = text[search...].range(of: delimiter) {
            let inner = text[start..<range.lowerBound]
            // For a single `*`, skip a `**` that belongs to nested bold.
            if delimiter.count == 1, text[range.upperBound...].hasPrefix(delimiter), !inner.isEmpty {
                search = text.index(after: range.upperBound)
                continue
            }
            if !inner.isEmpty, inner.last != " " { return (inner, range.upperBound) }
            search = range.upperBound
        }
        return nil
    }

    /// `_` opens emphasis only at a word start (snake_case stays as it is).
    static func canOpen(_ text: Substring, at index: Substring.Index) -> Bool {
        guard text[index] == "_", index > text.startIndex else { return true }
        let before = text[text.index(before: index)]
        return !(before.isLetter || before.isNumber)
    }

    static func canClose(_ text: Substring, before index: Substring.Index) -> Bool {
        guard index < text.endIndex else { return true }
        return !(text[index].isLetter || text[index].isNumber)
    }

    static func link(_ text: Substring) -> (label: Substring, url: String, after: Substring.Index)? {
        guard let close = text.firstIndex(of: "]"), text[close...].dropFirst().first == "(",
            let end = text[close...].firstIndex(of: ")")
        else { return nil }
        let label = text[text.index(after: text.startIndex)..<close]
        let url = String(text[text.index(close, offsetBy: 2)..<end])
        guard !label.isEmpty, url.hasPrefix("http://") || url.hasPrefix("https://") || url.hasPrefix("tg://"), !url.contains(" ") else { return nil }
        return (label, url, text.index(after: end))
    }

    /// `&`, `<`, `>` (and `"` in attributes) as the only entities Telegram knows.
    static func escape(_ text: some StringProtocol, quotes: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"" where quotes: result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}

extension Substring {
    func trimmingLeadingSpaces() -> Substring { drop { $0 == " " || $0 == "\t" } }
}
