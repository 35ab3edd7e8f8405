/// Finds values in JSON text by their byte ranges, without decoding them: enough to split a
/// getUpdates answer into its updates, so that one update no decoder accepts (a lone surrogate in
/// a text, an unknown shape) is set aside while every other one is answered.
///
/// The scanner checks structure only (strings, escapes, nesting); what a value means is left
/// to the decoder of each piece. It returns `nil` for text that is not well-formed JSON.
struct JSONScan {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The range of the value under `key` in the top-level object.
    func value(of key: String, in range: Range<Int>? = nil) -> Range<Int>? {
        members(of: range ?? 0..<bytes.count)?.first { bytes[$0.key].elementsEqual(key.utf8) }?.value
    }

    /// The ranges of the elements of the array at `range`.
    func elements(of range: Range<Int>) -> [Range<Int>]? {
        var i = skipSpace(range.lowerBound)
        guard i < range.upperBound, bytes[i] == UInt8(ascii: "[") else { return nil }
        i = skipSpace(i + 1)
        var elements: [Range<Int>] = []
        if i < range.upperBound, bytes[i] == UInt8(ascii: "]") { return elements }
        while i < range.upperBound {
            guard let end = endOfValue(at: i) else { return nil }
            elements.append(i..<end)
            i = skipSpace(end)
            guard i < range.upperBound else { return nil }
            if bytes[i] == UInt8(ascii: "]") { return elements }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i = skipSpace(i + 1)
        }
        return nil
    }

    /// The integer under `key` in the object at `range` (`update_id`, say), when it is one.
    func integer(_ key: String, in range: Range<Int>) -> Int64? {
        value(of: key, in: range).flatMap { Int64(String(decoding: bytes[$0], as: UTF8.self)) }
    }

    /// The raw text of the value at `range` (`true`, a number, a quoted string).
    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// The members of the object at `range`: the range of each key's characters (between the
    /// quotes) and of its value.
    private func members(of range: Range<Int>) -> [(key: Range<Int>, value: Range<Int>)]? {
        var i = skipSpace(range.lowerBound)
        guard i < range.upperBound, bytes[i] == UInt8(ascii: "{") else { return nil }
        i = skipSpace(i + 1)
        var members: [(key: Range<Int>, value: Range<Int>)] = []
        if i < range.upperBound, bytes[i] == UInt8(ascii: "}") { return members }
        while i < range.upperBound {
            guard bytes[i] == UInt8(ascii: "\""), let keyEnd = endOfString(at: i) else { return nil }
            let key = (i + 1)..<(keyEnd - 1)
            i = skipSpace(keyEnd)
            guard i < range.upperBound, bytes[i] == UInt8(ascii: ":") else { return nil }
            i = skipSpace(i + 1)
            guard let valueEnd = endOfValue(at: i) else { return nil }
            members.append((key, i..<valueEnd))
            i = skipSpace(valueEnd)
            guard i < range.upperBound else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return members }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i = skipSpace(i + 1)
        }
        return nil
    }

    /// Just past the value starting at `start`.
    private func endOfValue(at start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return endOfString(at: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var i = start
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let end = endOfString(at: i) else { return nil }
                    i = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default:
                    break
                }
                i += 1
            }
            return nil
        default:
            // A number, true, false or null: up to the next delimiter.
            var i = start
            while i < bytes.count, !Self.delimiters.contains(bytes[i]) { i += 1 }
            return i > start ? i : nil
        }
    }

    /// Just past the closing quote of the string opening at `start`.
    private func endOfString(at start: Int) -> Int? {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    private func skipSpace(_ start: Int) -> Int {
        var i = start
        while i < bytes.count, Self.space.contains(bytes[i]) { i += 1 }
        return i
    }

    private static let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
    private static let delimiters: Set<UInt8> = space.union([UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")])
}
