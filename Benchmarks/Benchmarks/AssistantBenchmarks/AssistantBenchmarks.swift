import Assistant
import Benchmark
import Core
import Foundation
import Gateway
import Store
import TestSupport

/// A database with one conversation of `count` messages (and 200 other conversations around it).
final class Fixture: Sendable {
    let directory: TemporaryDirectory
    let assistant: Assistant

    init(messages count: Int) throws {
        directory = try TemporaryDirectory()
        let settings = SettingsLoader(environment: ["SWITCHBOARD_DB": directory.file("bench.sqlite3")]).load().0
        let store = try SQLiteStore(path: settings.databasePath)
        let now = Date()
        for other in 0..<200 {
            try store.recordExchange(Exchange(conversation: "tg:\(other)", channel: "telegram", userMessage: "hello \(other)", answer: "hi", at: now), change: { $0.messageCount += 2 })
        }
        for index in 0..<(count / 2) {
            let exchange = Exchange(
                conversation: "tg:big", channel: "telegram", userMessage: "Question \(index): how should I index a table of \(index) rows in SQLite?",
                answer: "Answer \(index): add an index on the columns you filter by, and check the query plan.", at: now)
            try store.recordExchange(exchange) { record in
                record.summary = String(repeating: "Earlier the user asked about databases. ", count: 20)
                record.keyFacts = ["Name: Ana", "Likes: tea"]
                record.messageCount += 2
            }
        }
        let gateway = Gateway(settings: settings, catalog: try ModelCatalog.bundled(), store: store, providers: [:], bus: EventBus<Event>())
        assistant = Assistant(gateway: gateway, store: store, settings: settings)
    }
}

let benchmarks: @Sendable () -> Void = {
    guard let fixture = try? Fixture(messages: 10_000) else { fatalError("fixture") }
    let conversation = ConversationID(rawValue: "tg:big")

    // Target: building the context of a conversation with 10,000 stored messages under 2 ms p50.
    Benchmark("context for a conversation of 10,000 messages", configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, maxDuration: .seconds(10), maxIterations: 2_000)) { _ in
        blackHole(try? fixture.assistant.previewContext(conversation, text: "And what about Postgres?", window: 128_000))
    }
}
