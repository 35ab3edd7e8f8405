/// How many terminal cells text occupies: wide (CJK, fullwidth) and emoji characters take two,
/// combining marks and joiners none. Measured per grapheme cluster, so a family emoji built with
/// joiners counts once, as two cells.
public enum DisplayWidth {
    /// The cells one character takes: 0, 1 or 2.
    public static func of(_ character: Character) -> Int {
        // Most of a screen is ASCII: skip the Unicode property look-ups for it.
        if let ascii = character.asciiValue { return ascii >= 0x20 && ascii != 0x7F ? 1 : 0 }
        var width = 0
        var sawEmojiSelector = false
        for scalar in character.unicodeScalars {
            if scalar.value == 0xFE0F { sawEmojiSelector = true }
            width = max(width, of(scalar))
        }
        if sawEmojiSelector && width == 1 { width = 2 }
        return width
    }

    /// The cells a string takes.
    public static func of(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 { return 0 }
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1160...0x11FF).contains(value) || value == 0x200B { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        if isWide(value) { return 2 }
        return 1
    }

    /// East Asian Wide and Fullwidth ranges (Unicode 15, abridged to the blocks in real use).
    static func isWide(_ v: UInt32) -> Bool {
        (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x1F900...0x1F9FF).contains(v) || (0x20000...0x3FFFD).contains(v)
    }

    /// `text` cut to at most `width` cells; a cut text ends with `…`.
    public static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        // One pass: remember where an ellipsis would have to go, stop as soon as the text is too wide.
        var used = 0
        var cut = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let w = of(text[index])
            if used + w <= width - 1 { cut = text.index(after: index) }
            used += w
            if used > width { return String(text[..<cut]) + "…" }
            index = text.index(after: index)
        }
        return text
    }

    /// `text` padded with spaces (or cut) to exactly `width` cells.
    public static func pad(_ text: String, to width: Int, alignRight: Bool = false) -> String {
        let cut = truncate(text, to: width)
        let padding = String(repeating: " ", count: max(0, width - of(cut)))
        return alignRight ? padding + cut : cut + padding
    }
}
