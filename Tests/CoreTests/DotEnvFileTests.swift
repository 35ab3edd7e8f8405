import Testing

@testable import Core

@Suite struct DotEnvFileTests {
    @Test func readsPlainQuotedAndExportedValues() {
        let file = DotEnvFile(contents: """
            # comment
            OPENAI_API_KEY=sk-test-123
            export LLM_DAILY_QUOTA=100.0          # USD per day
            LLM_PREFERRED_MODEL="gpt-4o-mini"
            SWITCHBOARD_THEME='light # not a comment'
            LLM_HOURLY_QUOTA = 20.0\r
            GREETING="line\\none"

            EMPTY=
            URL=https://example.test/a#fragment
            """)
        #expect(file.values["OPENAI_API_KEY"] == "sk-test-123")
        #expect(file.values["LLM_DAILY_QUOTA"] == "100.0")
        #expect(file.values["LLM_PREFERRED_MODEL"] == "gpt-4o-mini")
        #expect(file.values["SWITCHBOARD_THEME"] == "light # not a comment")
        #expect(file.values["LLM_HOURLY_QUOTA"] == "20.0")
        #expect(file.values["GREETING"] == "line\none")
        #expect(file.values["EMPTY"] == "")
        #expect(file.values["URL"] == "https://example.test/a#fragment")
        #expect(file.issues.isEmpty)
    }

    @Test func reportsMalformedLinesByNumberWithoutTheirText() {
        let file = DotEnvFile(contents: """
            GOOD=1
            sk-pasted-secret-without-a-name
            9BAD=2
            QUOTED="never closed
            TRAILING="x" junk
            """)
        #expect(file.values == ["GOOD": "1"])
        let messages = file.issues.map(\.description)
        #expect(messages.count == 4)
        #expect(messages[0].contains("line 2"))
        #expect(messages[1].contains("line 3"))
        #expect(messages[2].contains("line 4") && messages[2].contains("not closed"))
        #expect(messages[3].contains("line 5"))
        #expect(!messages.joined().contains("sk-pasted-secret"))
    }

    @Test func laterDuplicateWinsWithAWarning() {
        let file = DotEnvFile(contents: "A=1\nA=2\n")
        #expect(file.values["A"] == "2")
        #expect(file.issues.count == 1)
        #expect(file.issues[0].variable == "A")
        #expect(file.issues[0].message.contains("line 2"))
    }
}
