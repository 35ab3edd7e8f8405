import Gateway
import Providers
import Testing

@testable import Assistant

@Suite struct ContextBuilderTests {
    static func history(_ count: Int) -> [ChatMessage] {
        (0..<count).map { $0.isMultiple(of: 2) ? .user("Question number \($0) about databases and caching") : .assistant("Answer number \($0) with some detail about the topic") }
    }

    @Test func everythingFitsInALargeWindow() {
        let output = ContextBuilder.build(.init(
            systemPrompt: "You are helpful.", style: "Be brief.", facts: ["Name: Ana"], summary: "Earlier: talked about SQLite.",
            history: Self.history(10), userMessage: "And Postgres?", contextWindow: 128_000, answerBudget: 1_000, encoding: .o200k))
        #expect(output.includedHistory == 10)
        #expect(output.droppedHistory == 0)
        #expect(output.messages.first?.role == .system)
        let system = output.messages[0].content
        #expect(system.contains("You are helpful.") && system.contains("Be brief.") && system.contains("- Name: Ana") && system.contains("Earlier: talked about SQLite."))
        #expect(output.messages.last == .user("And Postgres?"))
        #expect(output.messages.count == 12)
    }

    @Test func aLongHistoryKeepsTheNewestWholeMessages() {
        let history = Self.history(2_000)
        let output = ContextBuilder.build(.init(systemPrompt: "S", history: history, userMessage: "Now?", contextWindow: 4_096, answerBudget: 1_024, encoding: .cl100k))
        #expect(output.includedHistory > 10 && output.includedHistory < 2_000)
        #expect(Array(output.messages.dropFirst().dropLast()) == Array(history.suffix(output.includedHistory)), "the newest, in order, whole")
        #expect(output.promptTokens + 1_024 <= 4_096)
    }

    @Test func aTinyWindowDropsHistoryThenSummaryThenOldFactsButNeverTheUsersWords() {
        let long = String(repeating: "This is the user's long question. ", count: 20)
        let output = ContextBuilder.build(.init(
            systemPrompt: "S", facts: ["Name: Ana", "Likes: tea", "Lives in: Lisbon"], summary: String(repeating: "summary ", count: 200),
            history: Self.history(50), userMessage: long, contextWindow: 300, answerBudget: 100, encoding: .cl100k))
        #expect(output.includedHistory == 0)
        #expect(output.trimmedMemory)
        #expect(!output.messages[0].content.contains("summary summary"))
        #expect(output.messages.last == .user(long), "the user's words reach the model unchanged")
    }
}
