/// A parsed `.env` file: `NAME=value` lines, `#` comments, optional `export`, single or double quotes.
///
/// swift-configuration's own `.env` reader keeps quotes and inline comments in values and skips
/// malformed lines silently; the operator deserves better, so the file is parsed here and its values
/// handed to swift-configuration as one layer under the real environment.
public struct DotEnvFile: Sendable {
    /// The variables the file sets; a name set twice keeps the later value.
    public private(set) var values: [String: String] = [:]
    /// Malformed lines and duplicates. A message names the line, never its value (it may be a secret).
    public private(set) var issues: [ConfigIssue] = []

    /// Parses the text of a `.env` file; `fileName` is used in messages.
    public init(contents: String, fileName: String = ".env") {
        var firstLine: [String: Int] = [:]
        for (offset, rawLine) in contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = offset + 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            switch Self.parse(line: line) {
            case .success(let (name, value)):
                if let earlier = firstLine[name] {
                    issues.append(ConfigIssue(name, "\(fileName) line \(number) sets it again (first at line \(earlier)); the later value wins"))
                } else {
                    firstLine[name] = number
                }
                values[name] = value
            case .failure(let problem):
                issues.append(ConfigIssue(nil, "\(fileName) line \(number): \(problem.reason); the line is ignored"))
            }
        }
    }

    struct LineProblem: Error {
        let reason: String
    }

    static func parse(line: Substring) -> Result<(String, String), LineProblem> {
        var line = line
        if line.hasPrefix("export ") { line = line.dropFirst("export ".count).trimmingWhitespace() }
        guard let equals = line.firstIndex(of: "=") else {
            return .failure(LineProblem(reason: "expected NAME=value"))
        }
        let name = String(line[..<equals].trimmingWhitespace())
        guard isValidName(name) else {
            return .failure(LineProblem(reason: "expected NAME=value with NAME made of letters, digits and _"))
        }
        let rest = line[line.index(after: equals)...].trimmingWhitespace()
        return parseValue(rest).map { (name, $0) }
    }

    static func isValidName(_ name: String) -> Bool {
        func isLetter(_ c: Unicode.Scalar) -> Bool { c == "_" || ("A"..."Z").contains(c) || ("a"..."z").contains(c) }
        guard let first = name.unicodeScalars.first, isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }

    static func parseValue(_ text: Substring) -> Result<String, LineProblem> {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            // Unquoted: an inline comment starts at a `#` preceded by white space.
            var value = text
            if let hash = text.indices.first(where: { text[$0] == "#" && $0 > text.startIndex && text[text.index(before: $0)].isWhitespace }) {
                value = text[..<hash]
            }
            return .success(String(value.trimmingWhitespace()))
        }
        var value = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if character == quote {
                let trailing = text[text.index(after: index)...].trimmingWhitespace()
                guard trailing.isEmpty || trailing.hasPrefix("#") else {
                    return .failure(LineProblem(reason: "unexpected text after the closing quote"))
                }
                return .success(value)
            }
            if quote == "\"" && character == "\\" {
                let next = text.index(after: index)
                guard next < text.endIndex else { break }
                switch text[next] {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                default: value.append(text[next])
                }
                index = text.index(after: next)
                continue
            }
            value.append(character)
            index = text.index(after: index)
        }
        return .failure(LineProblem(reason: "the quoted value is not closed"))
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space (spaces, tabs, `\r`).
    func trimmingWhitespace() -> SubSequence {
        guard let start = firstIndex(where: { !$0.isWhitespace }),
            let end = lastIndex(where: { !$0.isWhitespace })
        else { return self[endIndex...] }
        return self[start...end]
    }
}
