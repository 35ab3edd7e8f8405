import Foundation
import Testing

@testable import TelegramBot

@Suite struct TelegramFormatterTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("**bold** and *italic* and __bold__ and _italic_", "<b>bold</b> and <i>italic</i> and <b>bold</b> and <i>italic</i>"),
        ("**bold and *italic* inside**", "<b>bold and <i>italic</i> inside</b>"),
        ("~~gone~~", "<s>gone</s>"),
        ("use `a<b>` here", "use <code>a&lt;b&gt;</code> here"),
        ("`**not bold**`", "<code>**not bold**</code>"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("2 * 3 * 4 = 24", "2 * 3 * 4 = 24"),
        ("**unclosed bold", "**unclosed bold"),
        ("[Switchboard](https://example.com/a?b=1&c=\"2\")", "<a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\">Switchboard</a>"),
        ("[bad](javascript:alert(1))", "[bad](javascript:alert(1))"),
        ("# Title", "<b>Title</b>"),
        ("- one\n- two\n1. first", "• one\n• two\n1. first"),
        ("> quoted\n> more\nafter", "<blockquote>quoted\nmore</blockquote>\nafter"),
        ("```swift\nlet x = a < b && c\n```", "<pre><code class=\"language-swift\">let x = a &lt; b &amp;&amp; c</code></pre>"),
        ("```\nno language\n```", "<pre>no language</pre>"),
        ("text\n```python\nprint('unclosed')", "text\n<pre><code class=\"language-python\">print('unclosed')</code></pre>"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ])
    func markdownBecomesSafeTelegramHTML(markdown: String, html: String) {
        #expect(TelegramFormatter.html(markdown) == html)
    }

    /// Every opened tag is closed, in order, whatever the input.
    func balanced(_ html: String) -> Bool {
        var stack: [String] = []
        guard let pattern = try? NSRegularExpression(pattern: "<(/?)([a-z]+)[^>]*>") else { return false }
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let closing = Range(match.range(at: 1), in: html).map { !html[$0].isEmpty } ?? false
            guard let nameRange = Range(match.range(at: 2), in: html) else { return false }
            let name = String(html[nameRange])
            if closing {
                guard stack.last == name else { return false }
                stack.removeLast()
            } else {
                stack.append(name)
            }
        }
        return stack.isEmpty
    }

    @Test(arguments: ["**a *b** c*", "***x***", "_a **b_ c**", "[x](https://y", "``` unclosed", "**`code**`", "> **q\nno", "* * *", "___", "`", "[](https://x)"])
    func trickyInputStillGivesBalancedTags(markdown: String) {
        #expect(balanced(TelegramFormatter.html(markdown)), "\(TelegramFormatter.html(markdown))")
    }

    @Test func aTenThousandCharacterAnswerIsSplitAtParagraphsWithinTheLimit() {
        let paragraph = String(repeating: "This sentence is part of a long paragraph. ", count: 20)
        let answer = (0..<12).map { "Paragraph \($0): " + paragraph }.joined(separator: "\n\n")
        #expect(answer.count > 10_000)
        let chunks = TelegramFormatter.chunks(answer)
        #expect(chunks.count >= 3)
        #expect(chunks.allSatisfy { $0.count <= TelegramFormatter.messageLimit })
        #expect(chunks.joined(separator: "\n\n") == answer, "nothing lost, nothing reordered")
        #expect(chunks.allSatisfy { $0.hasPrefix("Paragraph ") }, "cut at paragraph boundaries")
        #expect(TelegramFormatter.messages(answer).allSatisfy(balanced))
    }

    /// Telegram counts UTF-16 code units: 3,000 emoji are 6,000 of them, over the limit though
    /// only 3,000 characters. Each part fits, no emoji or flag is cut in half, nothing is lost.
    @Test(arguments: ["😀", "🇫🇷", "👩‍👩‍👧‍👦 ", "𝔸"])
    func emojiAreMeasuredAsTelegramCountsThem(unit: String) {
        let answer = String(repeating: unit, count: 3_000)
        let chunks = TelegramFormatter.chunks(answer)
        #expect(chunks.count >= 2, "\(answer.utf16.count) UTF-16 units")
        #expect(chunks.allSatisfy { $0.utf16.count <= TelegramFormatter.messageLimit })
        #expect(chunks.joined().filter { $0 != " " } == answer.filter { $0 != " " }, "every emoji whole, once, in order")
        #expect(chunks.allSatisfy { chunk in chunk.allSatisfy { String($0) == unit.trimmingCharacters(in: .whitespaces) || $0 == " " } })
    }

    @Test func aLongCodeBlockIsSplitIntoFencedPieces() {
        let code = (0..<400).map { "let value\($0) = compute(\($0)) // < & >" }.joined(separator: "\n")
        let answer = "Here:\n\n```swift\n\(code)\n```\n\nDone."
        let chunks = TelegramFormatter.chunks(answer)
        #expect(chunks.count >= 3)
        #expect(chunks.allSatisfy { $0.count <= TelegramFormatter.messageLimit })
        let messages = TelegramFormatter.messages(answer)
        #expect(messages.allSatisfy(balanced))
        #expect(messages.filter { $0.contains("<pre><code class=\"language-swift\">") }.count >= 2, "every piece of the code stays code")
        let lines = messages.joined(separator: "\n").components(separatedBy: "\n").filter { $0.contains("let value") }
        #expect(lines.count == 400)
    }

    @Test func aSingleHugeLineIsCutAtSpaces() {
        let line = String(repeating: "word ", count: 3_000)
        let chunks = TelegramFormatter.chunks(line)
        #expect(chunks.allSatisfy { $0.count <= TelegramFormatter.messageLimit })
        #expect(chunks.joined(separator: " ").split(separator: " ").count == 3_000)
    }

    @Test func plainFallbackHasNoMarkers() {
        #expect(TelegramFormatter.plain("**bold** and `code` and ~~x~~") == "bold and code and x")
    }
}
