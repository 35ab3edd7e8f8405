import Core
import Foundation
import Gateway
import Store
import Testing
import TestSupport

@testable import Assistant

/// What the Assistant remembers, when the database misbehaves and while work overlaps: the stored
/// conversation is never overwritten with less, and an answer on the bus is an answer on disk.
@Suite struct AssistantStorageTests {
    /// A conversation with a persona, a summary, facts and a count, as a long-lived chat has.
    static func seasoned(_ store: SQLiteStore, _ id: String) throws {
        let now = Date()
        try store.recordExchange(
            Exchange(conversation: id, channel: "cli", userMessage: "My name is Ana.", answer: "Hello Ana.", at: now),
            change: { record in
                record.persona = Persona.professional.rawValue
                record.summary = "Ana is planning a trip to Japan in May."
                record.keyFacts = ["Name: Ana", "Remember: my locker code is 4711"]
                record.messageCount = 120
            })
    }

    /// A database whose reads fail (busy, damaged) while writes still go through: the reply is a
    /// friendly error, no model is paid for, and the summary, facts, persona and count survive
    /// (before, the failed read became an empty record that was then saved over the real one).
    @Test func aStoreWhoseReadsFailKeepsTheConversationAndTellsTheUser() async throws {
        let h = try AssistantHarness()
        let (assistant, gateway, store) = try h.start()
        try Self.seasoned(store, "cli:trip")
        let before = try #require(try store.conversation("cli:trip"))

        store.failReadsForTesting("database is locked")
        let result = await assistant.respond(AssistantRequest(conversation: .cli("trip"), channel: .cli, text: "What should I pack?"))
        await assistant.waitForUpkeep()
        gateway.flushWrites()
        store.failReadsForTesting(nil)

        #expect(result.hadErrors)
        #expect(result.responseContent == Assistant.memoryUnavailableAnswer)
        #expect(result.errorDetails.joined().contains("database is locked"))
        #expect(h.fake.requests.isEmpty, "no model is asked (and paid) for an answer without its memory")
        #expect(try store.conversation("cli:trip") == before, "summary, facts, persona and count as they were")
        #expect(try store.recentMessages(conversation: "cli:trip", limit: 10).count == 2)
        #expect(try store.recentErrors(limit: 5).contains { $0.kind == "memory_unreadable" && $0.message.contains("database is locked") })
    }

    /// An operator sets a persona while a reply is being generated: the reply's save keeps it
    /// (before, the record read at the start of the reply was saved back at its end).
    @Test func aPersonaSetDuringAReplyIsKept() async throws {
        let h = try AssistantHarness(script: FakeLLMScript(text: "Here is a long and careful answer.", pace: .milliseconds(50)))
        let (assistant, _, store) = try h.start()
        let streaming = h.bus.subscribe()
        async let reply = assistant.respond(AssistantRequest(conversation: .cli("ops"), channel: .cli, text: "Tell me about SQLite."))
        for await event in streaming {
            if case .streamDelta = event { break }
        }
        try assistant.setPersona(.friendly, for: .cli("ops"), channel: .cli)
        let result = await reply
        #expect(!result.hadErrors)
        let stored = try #require(try store.conversation("cli:ops"))
        #expect(stored.persona == Persona.friendly.rawValue, "the operator's choice survives the reply's save")
        #expect(stored.messageCount == 2)
    }

    /// `responseCompleted` means stored: whoever hears it (the console, metrics, a trace) finds the
    /// exchange and its one usage row in the database.
    @Test func anAnswerOnTheBusIsAlreadyStoredWithItsUsageRow() async throws {
        let h = try AssistantHarness()
        let (assistant, _, store) = try h.start()
        let events = h.bus.subscribe()
        let checks = Task {
            var found: [(messages: Int, usageRows: Int)] = []
            for await event in events {
                guard case .responseCompleted(let done) = event else { continue }
                let messages = try store.recentMessages(conversation: done.conversation.rawValue, limit: 1_000).count
                let rows = try store.recentUsage(limit: 1_000).filter { $0.requestID == done.request.rawValue }.count
                found.append((messages, rows))
                if found.count == 10 { break }
            }
            return found
        }
        for index in 1...10 {
            _ = await assistant.respond(AssistantRequest(conversation: .cli("bus"), channel: .cli, text: "Question \(index)?"))
        }
        let found = try await checks.value
        #expect(found.map(\.messages) == (1...10).map { $0 * 2 }, "each exchange was in the database when announced")
        #expect(found.map(\.usageRows) == Array(repeating: 1, count: 10), "with exactly one usage row")
        #expect(try store.budgetReservations().isEmpty)
    }

    /// A reply that cannot be saved (a full disk refuses the messages): the person still gets the
    /// answer, the money spent is still recorded once, and nothing half-written is left.
    @Test func anExchangeThatCannotBeSavedStillRecordsItsCostOnce() async throws {
        let h = try AssistantHarness()
        let (assistant, gateway, store) = try h.start()
        try store.executeForTesting("CREATE TRIGGER full_disk BEFORE INSERT ON messages BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
        let result = await assistant.respond(AssistantRequest(conversation: .cli("full"), channel: .cli, text: "Hello?"))
        gateway.flushWrites()
        #expect(!result.hadErrors)
        #expect(result.responseContent == "Noted.")
        #expect(result.errorDetails.contains { $0.contains("could not be saved") })
        #expect(try store.conversation("cli:full") == nil, "the conversation's state is not half-written")
        let rows = try store.recentUsage(limit: 10)
        #expect(rows.count == 1 && rows.first?.outcome == .ok, "the answer's cost is recorded once")
        #expect(try store.budgetReservations().isEmpty)
        #expect(try store.recentErrors(limit: 5).contains { $0.kind == "exchange_not_saved" })
    }

    /// The summary runs after the reply: when the answer is complete its summary call is still in
    /// flight (here it never answers), and a summary that fails leaves an extractive one without
    /// touching the rest of the conversation.
    @Test func theSummaryNeverDelaysTheAnswer() async throws {
        let h = try AssistantHarness(environment: ["LLM_MEMORY_WINDOW": "20"])
        let (assistant, _, store) = try h.start()
        let conversation = ConversationID.cli("summary")
        for index in 1...19 {
            _ = await assistant.respond(AssistantRequest(conversation: conversation, channel: .cli, text: "Point \(index). My name is Ana."))
        }
        await assistant.waitForUpkeep()
        #expect(h.fake.requests.count == 19)
        #expect(try store.conversation(conversation.rawValue)?.summarizedThrough == 0, "no summary yet")

        // The twentieth exchange puts 20 messages outside the window: its reply, then the summary.
        h.fake.enqueue(FakeLLMScript(text: "Noted."), FakeLLMScript(fault: .stall(afterChunks: 0, for: .seconds(120))))
        let result = await assistant.respond(AssistantRequest(conversation: conversation, channel: .cli, text: "Point 20."))
        #expect(!result.hadErrors)
        #expect(await waitUntil { h.fake.requests.count == 21 }, "the summary is asked for")
        #expect(try store.conversation(conversation.rawValue)?.summarizedThrough == 0, "and not written yet, though the answer is complete")

        h.fake.stop()  // the summary call fails
        await assistant.waitForUpkeep()
        let stored = try #require(try store.conversation(conversation.rawValue))
        #expect(stored.summarizedThrough > 0)
        #expect(stored.summary.contains("User: Point 1."), "extractive, since no model answered")
        #expect(stored.messageCount == 40)
        #expect(stored.keyFacts == ["Name: Ana"])
        #expect(assistant.upkeep.activeKeys == 0, "nothing is kept for a conversation without work")
    }
}
